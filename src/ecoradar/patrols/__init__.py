"""Grid workers' patrols: plans (how often each grid level is patrolled), patrols with their
GPS track, and the schedule of patrols due and done."""
