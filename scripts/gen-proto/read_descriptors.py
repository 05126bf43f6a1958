#!/usr/bin/env python3
"""Reads TensorFlow's protobuf schema out of a TF wheel, without importing TensorFlow.

Every `*_pb2.py` module in the wheel embeds its `.proto` file as a serialized
FileDescriptorProto (the bytes literal passed to `AddSerializedFile(...)`). This script opens the
wheel as a zip, finds those literals with `ast` (no module is executed or imported), keeps the
transitive closure of the requested root files, and writes the descriptors, dependencies first, as
a FileDescriptorSet. Files that the wheel does not carry (google/protobuf/*.proto, the well-known
types) are listed on stdout so the caller can add them from another source.

The few protobuf wire-format bits needed (FileDescriptorProto.name = 1, .dependency = 3, and the
FileDescriptorSet framing) are coded here so that the script needs only the standard library.

    python3 read_descriptors.py --wheel W.whl --out set.binpb ROOT.proto [ROOT.proto ...]

Prints one JSON object: {"files": [...written...], "missing": [...imports not in the wheel...]}.
"""
import argparse
import ast
import json
import sys
import zipfile

# xla/tsl protos are imported as e.g. "xla/tsl/protobuf/error_codes.proto" but their pb2 modules sit
# under tensorflow/compiler/xla/... in the wheel; the descriptor's own `name` is authoritative, so
# files are indexed by that name, never by their path in the zip.


def _varint(buf, pos):
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError('truncated varint')
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _encode_varint(value):
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def name_and_deps(fdp):
    """FileDescriptorProto fields 1 (name) and 3 (dependency); everything else is skipped."""
    name = None
    deps = []
    pos = 0
    while pos < len(fdp):
        tag, pos = _varint(fdp, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            _, pos = _varint(fdp, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, pos = _varint(fdp, pos)
            value = fdp[pos:pos + length]
            pos += length
            if number == 1:
                name = value.decode('utf-8')
            elif number == 3:
                deps.append(value.decode('utf-8'))
        else:
            raise ValueError('unsupported wire type %d in FileDescriptorProto' % wire)
    if pos != len(fdp) or name is None:
        raise ValueError('malformed FileDescriptorProto')
    return name, deps


def embedded_descriptor(source, origin):
    """The bytes literal passed to `...AddSerializedFile(b'...')` in a generated pb2 module."""
    tree = ast.parse(source, filename=origin)
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == 'AddSerializedFile' and node.args):
            found.append(ast.literal_eval(node.args[0]))
    if len(found) != 1 or not isinstance(found[0], bytes):
        return None
    return found[0]


def read_wheel(wheel):
    by_name = {}
    with zipfile.ZipFile(wheel) as z:
        for entry in z.namelist():
            if not entry.endswith('_pb2.py'):
                continue
            fdp = embedded_descriptor(z.read(entry).decode('utf-8'), entry)
            if fdp is None:
                continue
            name, deps = name_and_deps(fdp)
            # The same .proto can be embedded by two modules (vendored copies); they must agree.
            if name in by_name and by_name[name][0] != fdp:
                print('warning: %s embedded twice with different contents (%s)' % (name, entry),
                      file=sys.stderr)
                continue
            by_name[name] = (fdp, deps, entry)
    return by_name


def closure(by_name, roots):
    """Dependencies first (a topological order), as protoc writes --include_imports sets."""
    ordered, missing, state = [], [], {}

    def visit(name, chain):
        if state.get(name) == 'done':
            return
        if state.get(name) == 'visiting':
            raise ValueError('import cycle: ' + ' -> '.join(chain + [name]))
        if name not in by_name:
            if name not in missing:
                missing.append(name)
            return
        state[name] = 'visiting'
        for dep in by_name[name][1]:
            visit(dep, chain + [name])
        state[name] = 'done'
        ordered.append(name)

    for root in roots:
        if root not in by_name:
            raise SystemExit('error: %s is not embedded in the wheel' % root)
        visit(root, [])
    return ordered, missing


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--wheel', required=True)
    ap.add_argument('--out', required=True, help='FileDescriptorSet to write')
    ap.add_argument('roots', nargs='+', help='.proto names to start from')
    args = ap.parse_args()

    by_name = read_wheel(args.wheel)
    ordered, missing = closure(by_name, args.roots)
    out = bytearray()
    for name in ordered:
        fdp = by_name[name][0]
        out += b'\x0a' + _encode_varint(len(fdp)) + fdp  # FileDescriptorSet.file = 1
    with open(args.out, 'wb') as f:
        f.write(out)
    json.dump({'files': ordered, 'missing': missing,
               'sources': {n: by_name[n][2] for n in ordered}}, sys.stdout, indent=1)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
