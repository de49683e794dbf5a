"""Photoseek's desktop app and command line, on top of the headless core (``indexer``).

* ``main`` starts the app; ``application`` wires services, window and dialogs.
* ``services`` run the core off the GUI thread: the one writer (``IndexService``),
  searching (``SearchService``) and one-shot jobs.
* ``main_window``, ``query_controller``, ``model_installer`` and ``empty_views``
  connect the widgets to the services; ``widgets`` never import ``services``.
* ``query_types``, ``models``, ``thumbnails`` and the small helpers hold plain
  values and Qt adapters that both sides share.
* ``cli`` is the ``photoseek`` command line.
"""
