"""The app's background services: Qt objects that run the headless core off the GUI thread.

* ``index_service.IndexService`` -- the one writer ``Library``, on the
  ``photoseek-index`` thread: opening, folders, settings, indexing, watching.
* ``search_service.SearchService`` -- searches through a ``LibraryReader`` on
  the ``photoseek-search`` thread; the newest query wins.
* ``jobs.JobRunner`` -- one-shot jobs on a small pool (``model_jobs``: download,
  import, export and list models).
* ``threads`` -- what the service threads share: posted calls, thread start,
  background priority.

Nothing here touches a widget; widgets never import this package.
"""
