"""A small in-memory FHIR server that processes transaction Bundles as HAPI FHIR does, for the
loadability test of issue 20 (no FHIR server can run here).

What it checks, each with its own message (`Refused`), before it stores anything:

- the Bundle is a `transaction`; every entry has a resource and a request;
- `request.method` is PUT (the only method the export uses; a real server accepts more) and
  `request.url` is `<Type>/<id>` with Type = resource.resourceType and id = resource.id
  (no conditional `?identifier=` urls: the export does not use them);
- the id is a FHIR id (`[A-Za-z0-9\\-\\.]{1,64}`) and not all digits (HAPI refuses
  client-assigned numeric ids by default: they could clash with its own);
- `fullUrl` = base + url;
- no two entries PUT the same url (HAPI-0535);
- every `reference` anywhere in a resource resolves: `#id` to a contained resource of the same
  resource, `<Type>/<id>` or `<base><Type>/<id>` to an entry of the bundle or a resource already
  stored, an entry's fullUrl (`urn:uuid:`) to that entry; any other absolute url is an external
  reference, which HAPI refuses by default (HAPI-0507). A logical reference by identifier
  only (`{"identifier": …}` without `reference`) needs nothing and is accepted;
- what a server that matches by identifier (conditional create/update) would see: no two
  resources of one type share an identifier (system|value), neither within the bundle nor
  with a resource of that type already stored under another id.

The transaction is all-or-nothing: one refusal and nothing is stored. PUT semantics: create
when `<Type>/<id>` is absent (version 1, "201 Created"); update when present: a new version when
the content changed, none when it is identical (as HAPI, which compares the resource without
its meta.versionId/lastUpdated: "200 OK" with the version unchanged).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
TYPE = re.compile(r"[A-Z][A-Za-z]+")
VOLATILE_META = ("versionId", "lastUpdated", "source")


class Refused(Exception):
    """The server refused the whole transaction (HAPI answers 400 or 422 with an
    OperationOutcome); `message` says which entry and which rule."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Stored:
    version: int
    resource: dict


def without_meta(resource: dict, keys: tuple[str, ...] | None = None) -> dict:
    """The resource without its meta (`keys`: only those meta elements)."""
    result = copy.deepcopy(resource)
    if keys is None:
        result.pop("meta", None)
    elif isinstance(result.get("meta"), dict):
        for key in keys:
            result["meta"].pop(key, None)
        if not result["meta"]:
            del result["meta"]
    return result


def references(node, where: str = "$") -> list[tuple[str, str]]:
    """Every `reference` string anywhere in `node`, as (path, reference)."""
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            found.append((f"{where}.reference", node["reference"]))
        for key, value in node.items():
            if key != "contained":
                found += references(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += references(item, f"{where}[{index}]")
    return found


def identifiers(resource: dict) -> list[str]:
    """The resource's business identifiers (top-level `identifier`) as "system|value"."""
    found = resource.get("identifier", [])
    found = [found] if isinstance(found, dict) else found
    return [f"{i.get('system', '')}|{i.get('value', '')}" for i in found if isinstance(i, dict)]


@dataclass
class FhirServer:
    base: str
    store: dict[str, Stored] = field(default_factory=dict)  # "<Type>/<id>" -> Stored

    def contents(self) -> dict[str, dict]:
        """What is stored: "<Type>/<id>" -> the resource without meta."""
        return {url: without_meta(s.resource) for url, s in sorted(self.store.items())}

    def versions(self) -> dict[str, int]:
        return {url: s.version for url, s in sorted(self.store.items())}

    def transaction(self, bundle: dict) -> dict:
        """Process a transaction Bundle: a `transaction-response` Bundle, or `Refused` (and
        nothing stored)."""
        if bundle.get("resourceType") != "Bundle":
            raise Refused(f"Not a Bundle but {bundle.get('resourceType')!r}")
        if bundle.get("type") != "transaction":
            raise Refused(f"Bundle.type must be 'transaction', not {bundle.get('type')!r}")
        entries = bundle.get("entry", [])
        targets: dict[str, int] = {}  # url -> entry index
        for index, entry in enumerate(entries):
            url = self._target(index, entry)
            if url in targets:
                raise Refused(
                    f"entry[{index}]: {url} is also the target of entry[{targets[url]}] "
                    "(HAPI-0535: a transaction may not PUT one resource twice)"
                )
            targets[url] = index
        full_urls = {entry["fullUrl"] for entry in entries}
        for index, entry in enumerate(entries):
            self._check_references(index, entry["resource"], targets, full_urls)
        self._check_identifiers(entries)
        return self._apply(entries)

    # --- the rules ----------------------------------------------------------------------------

    def _target(self, index: int, entry: dict) -> str:
        where = f"entry[{index}]"
        resource, request = entry.get("resource"), entry.get("request")
        if not isinstance(resource, dict):
            raise Refused(f"{where}: no resource")
        if not isinstance(request, dict):
            raise Refused(f"{where}: no request")
        if request.get("method") != "PUT":
            raise Refused(f"{where}: request.method must be PUT, not {request.get('method')!r}")
        url = request.get("url")
        parts = url.split("/") if isinstance(url, str) else []
        if len(parts) != 2 or not TYPE.fullmatch(parts[0]) or "?" in url or not parts[1]:
            raise Refused(f"{where}: request.url {url!r} is not <Type>/<id>")
        resource_type, resource_id = parts
        if resource_type != resource.get("resourceType"):
            raise Refused(
                f"{where}: request.url {url!r} names {resource_type} but the resource is "
                f"a {resource.get('resourceType')}"
            )
        if resource_id != resource.get("id"):
            raise Refused(
                f"{where}: request.url {url!r} names id {resource_id!r} but the resource's id "
                f"is {resource.get('id')!r}"
            )
        if not ID.fullmatch(resource_id):
            raise Refused(f"{where}: {resource_id!r} is not a valid FHIR id")
        if resource_id.isdigit():
            raise Refused(
                f"{where}: {resource_id!r} is all digits: a client may not assign a numeric id"
            )
        if entry.get("fullUrl") != self.base + url:
            raise Refused(f"{where}: fullUrl {entry.get('fullUrl')!r} is not {self.base + url!r}")
        return url

    def _check_references(
        self, index: int, resource: dict, targets: dict[str, int], full_urls: set[str]
    ) -> None:
        label = f"entry[{index}] {resource['resourceType']}/{resource['id']}"
        contained = {f"#{c.get('id')}" for c in resource.get("contained", []) or []}
        for where, ref in references(resource) + [
            (f"$.contained[{i}]{path[1:]}", r)
            for i, c in enumerate(resource.get("contained", []) or [])
            for path, r in references(c)
        ]:
            if ref.startswith("#"):
                if ref not in contained:
                    raise Refused(f"{label} {where}: no contained resource {ref!r}")
                continue
            if ref in full_urls:  # e.g. urn:uuid:… of another entry
                continue
            relative = ref[len(self.base) :] if ref.startswith(self.base) else ref
            if "://" in relative or relative.startswith("urn:"):
                raise Refused(
                    f"{label} {where}: {ref!r} is an external reference (HAPI-0507: not allowed)"
                )
            relative = relative.split("/_history/")[0]
            if relative not in targets and relative not in self.store:
                raise Refused(
                    f"{label} {where}: {ref!r} resolves to no entry of the bundle and no "
                    "stored resource"
                )

    def _check_identifiers(self, entries: list[dict]) -> None:
        seen: dict[tuple[str, str], str] = {}  # (type, system|value) -> url
        for url, stored in self.store.items():
            for identifier in identifiers(stored.resource):
                seen.setdefault((stored.resource["resourceType"], identifier), url)
        incoming = {entry["request"]["url"] for entry in entries}
        seen = {key: url for key, url in seen.items() if url not in incoming}  # replaced now
        for entry in entries:
            resource, url = entry["resource"], entry["request"]["url"]
            for identifier in identifiers(resource):
                key = (resource["resourceType"], identifier)
                other = seen.setdefault(key, url)
                if other != url:
                    raise Refused(
                        f"{url} and {other} share the identifier {identifier}: a server that "
                        "matches by identifier finds more than one"
                    )

    # --- storing ------------------------------------------------------------------------------

    def _apply(self, entries: list[dict]) -> dict:
        store = dict(self.store)
        responses = []
        for entry in entries:
            url, resource = entry["request"]["url"], entry["resource"]
            before = store.get(url)
            if before is None:
                version, status = 1, "201 Created"
            elif without_meta(before.resource, VOLATILE_META) == without_meta(
                resource, VOLATILE_META
            ):
                version, status = before.version, "200 OK"
            else:
                version, status = before.version + 1, "200 OK"
            kept = copy.deepcopy(resource)
            kept.setdefault("meta", {})["versionId"] = str(version)
            store[url] = Stored(version=version, resource=kept)
            responses.append(
                {
                    "response": {
                        "status": status,
                        "location": f"{url}/_history/{version}",
                        "etag": f'W/"{version}"',
                    }
                }
            )
        self.store = store  # all or nothing: nothing above raises once the checks passed
        return {"resourceType": "Bundle", "type": "transaction-response", "entry": responses}
