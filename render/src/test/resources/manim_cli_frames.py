"""For ManimPublishedModeIT: the frames the published VS samples from the `manim -ql` CLI's own video,
and whether that video holds the same packets as the warm worker's.

usage: manim_cli_frames.py CLI_MP4 WORKER_MP4 OUT_DIR SAMPLE_FPS MAX_FRAMES
Writes OUT_DIR/frame_NNNNN.rgb (every k-th decoded frame, k = max(1, int(fps / SAMPLE_FPS)), as the
worker's sample_video keeps them) and OUT_DIR/last.rgb, raw 8-bit RGB rows; prints one JSON line
{"width", "height", "frames", "packets_equal"}."""
import json
import os
import sys

import av


def packets(path):
    with av.open(path) as container:
        stream = container.streams.video[0]
        return [(bytes(p), p.pts, p.dts, p.is_keyframe) for p in container.demux(stream) if p.size]


def main(cli_mp4, worker_mp4, out_dir, sample_fps, max_frames):
    sample_fps, max_frames = float(sample_fps), int(max_frames)
    written = 0
    last = None
    with av.open(cli_mp4) as container:
        stream = container.streams.video[0]
        step = max(1, int(float(stream.average_rate) / sample_fps)) if sample_fps > 0 else 1
        for index, frame in enumerate(container.decode(stream)):
            rgb = frame.to_ndarray(format="rgb24")
            if index % step == 0 and written < max_frames:
                with open(os.path.join(out_dir, "frame_%05d.rgb" % index), "wb") as f:
                    f.write(rgb.tobytes())
                written += 1
            last = rgb
    with open(os.path.join(out_dir, "last.rgb"), "wb") as f:
        f.write(last.tobytes())
    print(json.dumps({"width": last.shape[1], "height": last.shape[0], "frames": written,
                      "packets_equal": packets(cli_mp4) == packets(worker_mp4)}))


if __name__ == "__main__":
    main(*sys.argv[1:])
