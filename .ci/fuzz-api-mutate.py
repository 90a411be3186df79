#!/usr/bin/env python3
"""Takes one constraint out of an OpenAPI document, for `.ci/fuzz-api --mutate`.

Usage: fuzz-api-mutate.py DOCUMENT JSON_POINTER OUT
Writes DOCUMENT without the member or item at JSON_POINTER (RFC 6901) to OUT, and prints the
operationIds whose requests it can change: the operation under /paths/..., or every operation
that refers (directly or through other schemas) to a schema under /components/schemas/....
"""

import json
import re
import sys

source, pointer, out = sys.argv[1:4]
doc = json.load(open(source))
steps = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
if not steps:
    sys.exit("fuzz-api-mutate: the pointer names the whole document")

node = doc
try:
    for step in steps[:-1]:
        node = node[int(step)] if isinstance(node, list) else node[step]
    if isinstance(node, list):
        del node[int(steps[-1])]
    else:
        del node[steps[-1]]
except (KeyError, IndexError, ValueError, TypeError):
    sys.exit(f"fuzz-api-mutate: nothing at {pointer} in the document")
json.dump(doc, open(out, "w"))

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def refs(value):
    return set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(value)))


if steps[0] == "paths":
    item = doc["paths"][steps[1]]
    methods = [steps[2]] if len(steps) > 2 and steps[2] in METHODS else [m for m in item if m in METHODS]
    ops = [item[m]["operationId"] for m in methods]
elif steps[:2] == ["components", "schemas"] and len(steps) > 2:
    # Every schema that reaches the changed one, then the operations that use any of them.
    schemas = doc["components"]["schemas"]
    reaching = {steps[2]}
    while True:
        more = {name for name, schema in schemas.items() if refs(schema) & reaching} - reaching
        if not more:
            break
        reaching |= more
    ops = [op["operationId"]
           for item in doc["paths"].values()
           for method, op in item.items()
           if method in METHODS and refs({k: v for k, v in op.items() if k != "responses"}) & reaching]
else:
    sys.exit(f"fuzz-api-mutate: {pointer} is neither under /paths nor under /components/schemas")
if not ops:
    sys.exit(f"fuzz-api-mutate: no request uses {pointer}")
print(" ".join(ops))
