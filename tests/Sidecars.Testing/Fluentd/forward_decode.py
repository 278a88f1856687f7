#!/usr/bin/env python3
"""Decodes the bytes a Fluentd Forward-protocol client sent on one connection, independently of the C# receiver.

Usage: forward_decode.py FILE

Prints JSON lines: {"kind": "ping", ...} for a leading PING, then per message one {"kind": "event", ...} line per event
and one {"kind": "message", ...} line with the option map. Records map to JSON as the receiver maps them: bin becomes
{"$bin": base64}, other ext {"$ext": type, "data": base64}, non-finite floats {"$float": ...}, and map keys other than
strings their compact JSON text. Strings are decoded strictly: invalid UTF-8, like any malformed input, is reported on
stderr with exit status 1. Only Debian's python3-msgpack and the standard library are used.
"""
import base64
import gzip
import json
import math
import struct
import sys

import msgpack

# Header size of each str/bin format, by its first byte (fixstr: 0xa0-0xbf).
PAYLOAD_OFFSET = {0xC4: 2, 0xC5: 3, 0xC6: 5, 0xD9: 2, 0xDA: 3, 0xDB: 5}
ARRAY_CODES = set(range(0x90, 0xA0)) | {0xDC, 0xDD}
INT_CODES = set(range(0x00, 0x80)) | set(range(0xE0, 0x100)) | set(range(0xCC, 0xD4))
EXT_CODES = set(range(0xD4, 0xD9)) | {0xC7, 0xC8, 0xC9}


class Malformed(Exception):
    pass


def unpacker(data):
    u = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=max(len(data), 1 << 20))
    u.feed(data)
    return u


def b64(data):
    return base64.b64encode(data).decode("ascii")


def to_json(obj):
    if obj is None or isinstance(obj, (bool, str, int)):
        return obj
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        return {"$float": "NaN" if math.isnan(obj) else ("Infinity" if obj > 0 else "-Infinity")}
    if isinstance(obj, bytes):
        return {"$bin": b64(obj)}
    if isinstance(obj, msgpack.ExtType):
        return {"$ext": obj.code, "data": b64(obj.data)}
    if isinstance(obj, msgpack.Timestamp):
        # msgpack decodes ext -1 itself; its canonical bytes stand in for the original ones.
        return {"$ext": -1, "data": b64(obj.to_bytes())}
    if isinstance(obj, (list, tuple)):
        return [to_json(x) for x in obj]
    if isinstance(obj, dict):
        return {key(k): to_json(v) for k, v in obj.items()}
    raise Malformed(f"unexpected value {obj!r}")


def key(k):
    return k if isinstance(k, str) else json.dumps(to_json(k), separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def payload(obj_bytes):
    """The bytes of a str or bin object, without decoding them."""
    code = obj_bytes[0]
    offset = 1 if 0xA0 <= code <= 0xBF else PAYLOAD_OFFSET[code]
    return obj_bytes[offset:]


def read_time(time_bytes):
    value = msgpack.unpackb(time_bytes, raw=False)
    if isinstance(value, int) and not isinstance(value, bool):
        return value, 0, False
    if isinstance(value, msgpack.ExtType) and value.code == 0 and len(value.data) == 8:
        sec, nsec = struct.unpack(">II", value.data)
        return sec, nsec, True
    raise Malformed(f"time {time_bytes.hex()} is neither an integer nor EventTime")


def read_event(u, data):
    """Time and record at the unpacker's position; the time's exact bytes found by offsets, not by packing again."""
    start = u.tell()
    u.skip()
    time_bytes = data[start:u.tell()]
    sec, nsec, event_time = read_time(time_bytes)
    return {"sec": sec, "nsec": nsec, "event_time": event_time, "time_hex": time_bytes.hex(), "record": to_json(u.unpack())}


def read_entry(u, data):
    if u.read_array_header() != 2:
        raise Malformed("an entry is not [time, record]")
    return read_event(u, data)


def decode_message(message):
    u = unpacker(message)
    count = u.read_array_header()
    tag = u.unpack()
    if not isinstance(tag, str):
        raise Malformed(f"tag {tag!r} is not a string")
    second_start = u.tell()
    u.skip()
    second = message[second_start:u.tell()]
    code = second[0]
    events = []
    if code in INT_CODES or code in EXT_CODES:
        mode = "Message"
        events.append(read_event(unpacker(message[second_start:]), message[second_start:]))
        u.skip()
    elif code in ARRAY_CODES:
        mode = "Forward"
        entries = unpacker(second)
        for _ in range(entries.read_array_header()):
            events.append(read_entry(entries, second))
    elif 0xA0 <= code <= 0xBF or code in PAYLOAD_OFFSET:
        mode = "PackedForward"
        packed = payload(second)
    else:
        raise Malformed(f"second element starts with 0x{code:02x}")
    option = u.unpack() if u.tell() < len(message) else {}
    if option is None:
        option = {}
    if not isinstance(option, dict):
        raise Malformed("the option is not a map")
    if mode == "PackedForward":
        if option.get("compressed") == "gzip":
            mode = "CompressedPackedForward"
            packed = gzip.decompress(packed)
        entries = unpacker(packed)
        while entries.tell() < len(packed):
            events.append(read_entry(entries, packed))
    if u.tell() != len(message) or count not in (2, 3, 4):
        raise Malformed(f"a message of {count} elements")
    for event in events:
        print(json.dumps({"kind": "event", "tag": tag, "mode": mode, **event}, allow_nan=False))
    print(json.dumps({"kind": "message", "tag": tag, "mode": mode, "events": len(events), "option": to_json(option)}, allow_nan=False))


def decode_ping(message):
    ping = msgpack.unpackb(message, raw=False)
    print(json.dumps({"kind": "ping", "hostname": ping[1], "username": ping[4]}))


def main():
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    stream = unpacker(data)
    first = True
    while stream.tell() < len(data):
        start = stream.tell()
        try:
            stream.skip()
        except msgpack.OutOfData:
            raise Malformed(f"the stream ends inside a message at byte {start}")
        message = data[start:stream.tell()]
        if message == b"\xc0":
            continue  # a keep-alive
        if first and message[:6] in (b"\x96\xa4PING",):
            decode_ping(message)
        else:
            decode_message(message)
        first = False


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # any malformed input: one line on stderr, exit 1
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
