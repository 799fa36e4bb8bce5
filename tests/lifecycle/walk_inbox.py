"""URL-walk recipes for the in-app inbox: it addresses no object, only the user's own rows."""

NO_OBJECT = {"inbox:list", "inbox:read_all"}
