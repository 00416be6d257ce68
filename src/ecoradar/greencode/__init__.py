"""The enterprise environmental green code: scoring, colours, history, repair."""
