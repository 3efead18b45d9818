"""PostgreSQL backend: django-tenants' schema switching, with one SET search_path per change."""
