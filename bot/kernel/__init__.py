"""What features build on: message types, the registry, context, roles, i18n, clock."""
