"""The problem register: findings, problems, their workflow, deadlines and audit."""
