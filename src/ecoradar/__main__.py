"""``python -m ecoradar`` runs the command line."""

from ecoradar.cli import main

main()
