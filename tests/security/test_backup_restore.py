"""Nothing lost: the documented backup (pg_dump -Fc + the media folder) restores into a
fresh database and folder with the same content, and the site serves it.

Follows docs/operations.md, "Backup and restore", step by step.
"""

import re
import shutil
import subprocess
import tarfile
import uuid

import pytest

from tests.servers import AppServer, manage, migrate

from .live import Browser

pytestmark = pytest.mark.slow

SEED = """
from django.contrib.auth.models import User
from articles import revisions
from tests.factories import (ArticleFactory, AuthorFactory, CommentFactory, CorrectionFactory,
    ImageFactory, UserFactory, png_bytes)
editor = UserFactory(username="backup-editor", groups=["Editor"])
image = ImageFactory(alt_text="The harbour at dawn")
author = AuthorFactory(name="Ada Reporter", slug="ada-reporter")
article = ArticleFactory(headline="Harbour bridge reopens", lead_image=image, authors=[author],
    tags=["harbour", "transport"], body="<p>Unicode survives: café, 東京, 🚲.</p>")
revisions.record(article, editor)
CorrectionFactory(article=article)
comment = CommentFactory(article=article, status="pending", body="First! ünïcödé")
comment.approve(by=editor)
print("ARTICLE", article.get_absolute_url(), image.file.name, image.file.url)
"""

CHECKSUM = """
SELECT string_agg(format('%s %s %s', table_name, rows, digest), E'\\n' ORDER BY table_name)
FROM (
  SELECT c.relname AS table_name,
         (xpath('/row/n/text()',
           query_to_xml(format('SELECT count(*) AS n FROM %I', c.relname), false, true, '')
         ))[1]::text AS rows,
         (xpath('/row/d/text()',
           query_to_xml(format(
             'SELECT md5(coalesce(string_agg(t::text, %L ORDER BY t::text), %L)) AS d FROM %I t',
             ',', '', c.relname), false, true, '')
         ))[1]::text AS digest
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind = 'r'
) tables
"""


def run(*command):
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, (command, result.stdout, result.stderr)
    return result.stdout


def test_dump_and_restore_into_a_fresh_database_keeps_everything(private_postgres, tmp_path):
    pg = private_postgres
    name = f"backup_src_{uuid.uuid4().hex[:8]}"
    source = pg.create_database(name)
    media = tmp_path / "media"
    env = {"DATABASE_URL": source, "MEDIA_ROOT": str(media)}
    migrate(env)
    out = manage("shell", "-c", SEED, env=env)
    article_url, image_name, image_url = re.search(r"ARTICLE (\S+) (\S+) (\S+)", out).groups()

    # Backup: a custom-format dump and an archive of the media folder.
    dump = tmp_path / "newsroom.dump"
    run("pg_dump", "--format=custom", "--no-owner", "--file", str(dump), source)
    media_archive = tmp_path / "media.tar.gz"
    with tarfile.open(media_archive, "w:gz") as archive:
        archive.add(media, arcname="media")

    # Restore: a fresh database and a fresh media folder, on the same server.
    restored_name = f"backup_dst_{uuid.uuid4().hex[:8]}"
    restored = pg.create_database(restored_name)
    run("pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored, str(dump))
    restored_root = tmp_path / "restored"
    with tarfile.open(media_archive) as archive:
        archive.extractall(restored_root, filter="data")
    restored_media = restored_root / "media"

    # Same rows in every table, byte for byte.
    before = pg.psql(CHECKSUM, database=name)
    after = pg.psql(CHECKSUM, database=restored_name)
    assert "articles_article 1 " in before
    assert "comments_moderationevent " in before
    assert after == before

    # Same files.
    original = sorted(p.relative_to(media) for p in media.rglob("*") if p.is_file())
    copied = sorted(p.relative_to(restored_media) for p in restored_media.rglob("*") if p.is_file())
    assert copied == original
    assert (restored_media / image_name).read_bytes() == (media / image_name).read_bytes()

    # The restored database is fully migrated, and the site serves it.
    restored_env = {"DATABASE_URL": restored, "MEDIA_ROOT": str(restored_media), "SERVE_MEDIA": "1"}
    manage("migrate", "--check", env=restored_env)
    with AppServer({**restored_env, "PAGE_CACHE_SECONDS": "0"}, workers=1) as app:
        reader = Browser(app.url())
        page = reader.get(article_url)
        assert page.status == 200
        assert "Harbour bridge reopens" in page.text
        assert "東京" in page.text
        picture = reader.get(image_url)
        assert picture.status == 200
    shutil.rmtree(restored_root)
