"""Platform connectors: one module per platform, one small interface (`connectors.base`)."""
