"""Enterprise self-inspection: control points, checklists, schedules, tasks (issue 7)."""
