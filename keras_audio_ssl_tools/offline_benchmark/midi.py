"""A minimal Standard MIDI File writer: one program, a sequence of single notes."""

import struct

TICKS_PER_QUARTER = 480
# 120 bpm -> 0.5 s per quarter note, so one second is 960 ticks.
MICROSECONDS_PER_QUARTER = 500000
TICKS_PER_SECOND = TICKS_PER_QUARTER * 1_000_000 // MICROSECONDS_PER_QUARTER


def _varlen(value):
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(out))


def note_sequence_midi(notes, channel=0):
    """Bytes of a format-0 MIDI file playing single `notes` one after another.

    Args:
        notes: iterable of `(onset_s, duration_s, pitch, velocity, program)`;
            `program` is the 0-based General MIDI program, set just before
            the note starts. Notes must not overlap.
        channel: MIDI channel; never 9, which GM reserves for drums.
    """
    if channel == 9:
        raise ValueError(f"Channel 9 is the GM drum channel. Received: channel={channel}")
    # (tick, order, bytes): at equal ticks note-off, then program change, then note-on.
    events = []
    for onset, duration, pitch, velocity, program in notes:
        on = int(round(onset * TICKS_PER_SECOND))
        off = int(round((onset + duration) * TICKS_PER_SECOND))
        events.append((on, 1, bytes([0xC0 | channel, program])))
        events.append((on, 2, bytes([0x90 | channel, pitch, velocity])))
        events.append((off, 0, bytes([0x80 | channel, pitch, 0])))
    events.sort()
    track = bytearray()
    track += _varlen(0) + b"\xff\x51\x03" + MICROSECONDS_PER_QUARTER.to_bytes(3, "big")
    last = 0
    for tick, _, data in events:
        track += _varlen(tick - last) + data
        last = tick
    # A silent second after the last note lets the release tail render.
    track += _varlen(TICKS_PER_SECOND) + b"\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_QUARTER)
    return header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)
