"""``photoseek people`` (docs/cli.md): the people found in the library's photos, and naming, merging and
forgetting them.

Listing reads (a ``LibraryReader``, beside any writer); ``name``, ``merge`` and ``forget`` open the
library's writer and change only the people tables.
"""

from __future__ import annotations

import argparse
import sys

from app.cli.terminal import print_json, shown
from indexer.errors import UsageError


def add_people_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("people", help="the people found in photos; name, merge or forget them")
    p.add_argument("--json", action="store_true", help="print JSON")
    psub = p.add_subparsers(dest="people_command", metavar="ACTION")
    show = psub.add_parser("show", help="the photos of a person, with their face's box")
    show.add_argument("id", type=int, metavar="ID")
    show.add_argument("--json", action="store_true", help="print JSON")
    name = psub.add_parser("name", help="name a person")
    name.add_argument("id", type=int, metavar="ID")
    name.add_argument("name", metavar="NAME")
    merge = psub.add_parser("merge", help="merge people into the first")
    merge.add_argument("ids", type=int, nargs="+", metavar="ID")
    forget = psub.add_parser("forget", help="delete a person and every face of theirs")
    forget.add_argument("id", type=int, metavar="ID")


def cmd_people(args: argparse.Namespace) -> int:
    from indexer.library import Library
    from indexer.library_reader import LibraryReader
    from indexer.people.tables import PeopleTables

    action = getattr(args, "people_command", None)
    if action in (None, "show"):
        with LibraryReader.open(args.library) as reader:
            tables = PeopleTables(reader.catalog)
            if action is None:
                people = tables.people()
                if args.json:
                    print_json([p.to_json() for p in people])
                for p in people if not args.json else ():
                    sys.stdout.write(f"{p.id:>5}  {shown(p.name or '(unnamed)')}  {p.photos} photos, {p.faces} faces\n")
                return 0
            if tables.person(args.id) is None:
                raise UsageError(f"no person {args.id} (see `photoseek people`)")
            photos = tables.person_photos(args.id)
            if args.json:
                print_json([p.to_json() for p in photos])
            for photo in photos if not args.json else ():
                x, y, w, h = photo.box
                sys.stdout.write(f"{shown(photo.path)}  {x},{y} {w}x{h}\n")
            return 0
    with Library.open(args.library) as lib:
        writer = PeopleTables(lib.catalog)
        ids = [args.id] if action != "merge" else args.ids
        known = {p.id for p in writer.people()}
        missing = [i for i in ids if i not in known]
        if missing:
            raise UsageError(f"no person {missing[0]} (see `photoseek people`)")
        with lib.catalog.transaction():
            if action == "name":
                if not " ".join(args.name.split()):
                    raise UsageError("a name cannot be empty")
                writer.name(args.id, args.name)
                sys.stderr.write(f"person {args.id} is now {shown(' '.join(args.name.split()))}\n")
            elif action == "merge":
                writer.merge(ids[0], ids[1:])
                sys.stderr.write(f"merged {len(set(ids[1:]) - {ids[0]})} into person {ids[0]}\n")
            else:
                faces = writer.forget(args.id)
                sys.stderr.write(f"forgot person {args.id} ({faces} faces deleted)\n")
    return 0
