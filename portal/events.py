"""What the domain announces about images. Other apps subscribe in their ``ready()``
(``tiles/apps.py``: warms, progress websockets, derived files), so the domain never
imports them.

Each is a Django signal sent with ``sender=Image`` and ``image=`` the row, synchronously,
by the ``Image`` method (``portal/models.py``) that made the change, once its row is
written:

- ``image_registered``: a new image, ``pending``; sent inside the registering
  transaction (listeners that start work do it on commit).
- ``image_changed``: the image's file holds new content, accepted as a new version
  (``warm_images --rehash``); ``previous_checksum`` names the old content, whose derived
  files may be no one's any more.
- ``image_state_changed``: state, reason or progress changed (every change of
  ``Image.state`` sends it).
- ``warm_requested``: ingest and pyramid warm asked for; ``wait=True``: done here and
  now, before ``send`` returns, else queued.
"""

from django.dispatch import Signal

image_registered = Signal()
image_changed = Signal()
image_state_changed = Signal()
warm_requested = Signal()
