"""The console's screens: the main dashboard and the help screen."""
