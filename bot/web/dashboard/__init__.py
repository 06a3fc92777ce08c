"""The course dashboard: server-rendered pages for trainers, coordinators and admins under
/dashboard/, in the same Starlette app as the webhooks (docs/dashboard.md)."""
