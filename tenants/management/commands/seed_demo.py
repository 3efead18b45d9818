"""Creates (idempotently) the demo tenant with an admin user, for `make run`."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import schema_context

from core.rbac import services as rbac_services
from tenants import services
from tenants.models import Tenant, User

DEMO_SLUG = "demo"


class Command(BaseCommand):
    help = "Create the demo tenant and its admin user if they do not exist."

    def add_arguments(self, parser):
        parser.add_argument("--email", default="admin@demo.clm.local")
        parser.add_argument("--password", default="Demo-Admin-Pass-2026!")

    @transaction.atomic
    def handle(self, *args, email, password, **options):
        tenant = Tenant.objects.filter(slug=DEMO_SLUG).first()
        if tenant is None:
            tenant = services.tenant_provision(name="Demo Organization", slug=DEMO_SLUG)
            self.stdout.write(f"Provisioned tenant '{tenant.name}' ({tenant.schema_name})")
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, password, tenant=tenant,
                                            first_name="Demo", last_name="Admin")
            with schema_context(tenant.schema_name):
                rbac_services.user_roles_set(actor=user, user=user, role_ids=["admin"])
            self.stdout.write(f"Created demo admin {email}")
        self.stdout.write(self.style.SUCCESS(f"Demo login: {email} / {password}"))
