"""The files people keep beside their photos: RAW files, videos, Live Photos.

``kinds`` says what a file is from its name; ``raw`` and ``video`` decode RAW
files (through LibRaw, in ``rawpy``) and videos (through FFmpeg, in ``av``)
under bounded time and memory; ``decode`` picks the right decoder for a
file; ``pairing`` finds the files that belong to one photo (a RAW beside its
JPEG, the movie of a Live Photo); ``frames`` turns a video's frames into
vectors; ``frame_search`` gives a video the score of its best frame;
``tables`` holds videos, their frames and stills' companions in the catalog,
``schema`` the slice's own tables.
"""
