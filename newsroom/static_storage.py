"""The static files' storage: WhiteNoise's compressed, hashed files, with each file's
address kept once worked out.

`{% static %}` asks the storage on every render, and each answer looks the name up in
the manifest and joins it to STATIC_URL. The manifest is read once when the process
starts and does not change while it runs, so neither does an address."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._addresses = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force=True)
        try:
            return self._addresses[name]
        except KeyError:
            address = self._addresses[name] = super().url(name)
            return address

    def post_process(self, *args, **kwargs):
        # collectstatic makes new hashed names: forget the addresses worked out before.
        self._addresses.clear()
        yield from super().post_process(*args, **kwargs)
