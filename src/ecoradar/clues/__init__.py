"""Clues: intake from every channel (public, Open311, grid workers, drones and unmanned ships,
departments and officers, bulk imports) into the problem register, with the service catalogue,
rate limits, tracking codes and the reporter's follow-up."""
