"""The site: the composition root above every app (DEVELOPMENT.md, "Layers").

It holds what reaches across the apps: the home page and the shell's own pages (language, text size, health,
error pages), the demo community, and the commands that touch everything (``createadmin``, ``demo``,
``backup``/``restore``, ``serve``/``worker``, ``export_openapi``). The URL root (``anju.urls``) and the API root
(``anju.api``) sit beside it in the same layer."""
