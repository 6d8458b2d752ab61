import logging

# Our loggers ("verselight.*") stay silent unless the app configures logging: warnings
# printed to stderr would corrupt the reader's screen and clutter script output.
logging.getLogger("verselight").addHandler(logging.NullHandler())
