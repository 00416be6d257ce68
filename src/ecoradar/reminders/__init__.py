"""Enterprise environment service reminders (issue 15): triggers, merged numbered
documents, rendering, delivery and follow-up."""
