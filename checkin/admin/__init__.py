"""The workbench of the 兼辅 and the 团长: one module per workflow (listed in checkin.VIEW_MODULES)."""
