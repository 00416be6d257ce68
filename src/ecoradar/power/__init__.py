"""Power sub-metering (用电监控, 分表计电): meters on production units and treatment facilities,
their readings (MQTT and HTTP), and the episodes the rules find in the curves."""
