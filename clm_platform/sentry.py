"""Error reporting to Sentry: on only when SENTRY_DSN is set; ids as tags, no personal data.

Called from settings, so web processes and Dramatiq workers (which load settings before they
build the broker the integration hooks into) report alike. Tenant and user ids are tagged where
the principal is built (api.security.principal_for_request).
"""

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.dramatiq import DramatiqIntegration


def init_sentry(*, dsn: str | None, environment: str, release: str | None = None,
                traces_sample_rate: float = 0.0, send_default_pii: bool = False) -> bool:
    """Initialises the SDK when a DSN is given; returns whether it did."""
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration(), DramatiqIntegration()],
        # Emails, IPs, cookies and auth headers stay out of reports unless explicitly enabled;
        # so do stack frames' local variables, which hold emails, contract data and tokens.
        send_default_pii=send_default_pii,
        include_local_variables=send_default_pii,
        traces_sample_rate=traces_sample_rate,
    )
    return True
