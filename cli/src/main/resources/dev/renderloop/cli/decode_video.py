"""Decode a video into PNG frames sampled as the published VS metric samples them.

Usage: decode_video.py VIDEO OUT_DIR
Writes OUT_DIR/000000.png, ... for every max(1, int(fps / 5))-th decoded frame (starting with the
first) and prints one JSON line: {"fps": .., "decoded": .., "step": .., "written": .., "width": .., "height": ..}.
Errors go to stderr with exit status 2 (not a video, no video stream, no frames).
"""
import json
import os
import sys


def main():
    if len(sys.argv) != 3:
        print("usage: decode_video.py VIDEO OUT_DIR", file=sys.stderr)
        return 2
    video, out = sys.argv[1], sys.argv[2]
    try:
        import av
    except ImportError:
        print("PyAV (Debian python3-av) is not installed for " + sys.executable, file=sys.stderr)
        return 3
    try:
        container = av.open(video)
    except Exception as e:  # PyAV raises several error types for files it cannot open
        print("cannot open video %s: %s" % (video, e), file=sys.stderr)
        return 2
    with container:
        streams = container.streams.video
        if not streams:
            print("no video stream in " + video, file=sys.stderr)
            return 2
        stream = streams[0]
        rate = stream.average_rate or stream.base_rate or stream.guessed_rate
        fps = float(rate) if rate else 0.0
        if fps <= 0:
            print("video %s has no frame rate" % video, file=sys.stderr)
            return 2
        step = max(1, int(fps / 5))
        decoded = written = 0
        width = height = 0
        try:
            for frame in container.decode(stream):
                if decoded % step == 0:
                    image = frame.to_image()
                    width, height = image.size
                    image.save(os.path.join(out, "%06d.png" % written))
                    written += 1
                decoded += 1
        except Exception as e:
            print("cannot decode video %s after %d frames: %s" % (video, decoded, e), file=sys.stderr)
            return 2
    if written == 0:
        print("video %s has zero frames" % video, file=sys.stderr)
        return 2
    print(json.dumps({"fps": fps, "decoded": decoded, "step": step, "written": written, "width": width, "height": height}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
