"""People: faces found in photos, grouped into people the user can name and search for."""
