"""Work that runs: the ``ohmylot`` command line, the demo, the scheduler and its job functions.

(``jobs`` means scheduled and on-demand *work*, never job offers.)
"""
