"""Draw the body-map outlines (front and back) and write them to ``src/unclench/body/shapes.json``.

The figure is drawn here from a handful of smooth edge curves (head, neck, torso, arms, legs),
so every region is a tile that shares its borders with its neighbours and the tiles together
make the whole silhouette. Nothing is copied from a third-party drawing.

Coordinates: the body's midline is at x = 100, the top of the head at y = 7, the soles near y = 440. Each lateral tile is drawn once
on the viewer's right (x >= 100) and mirrored. In the FRONT view the viewer's right is the
person's LEFT; in the BACK view the viewer's right is the person's RIGHT.

A build tool, not part of the installed package; run it again after changing a curve:

    .venv/bin/python tools/draw_shapes.py
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from scipy.interpolate import PchipInterpolator

Point = tuple[float, float]
Edge = Callable[[float], float]

MID = 100.0
VIEW_BOX = (22, 0, 156, 444)  # x, y, width, height: the figure spans x 29-171, y 7-440
OUT = Path(__file__).resolve().parent.parent / "src" / "unclench" / "body" / "shapes.json"


def curve(points: Sequence[tuple[float, float]]) -> Edge:
    """A smooth x(y) through (y, x) control points (monotone cubic, no overshoot)."""
    ys, xs = zip(*points, strict=True)
    f = PchipInterpolator(np.array(ys, dtype=float), np.array(xs, dtype=float), extrapolate=True)
    return lambda y: float(f(y))


def along(fn: Edge, y0: float, y1: float, step: float = 1.5) -> list[Point]:
    """Points (fn(y), y) from y0 to y1 inclusive, in that direction."""
    n = max(2, math.ceil(abs(y1 - y0) / step) + 1)
    return [(fn(y), y) for y in np.linspace(y0, y1, n)]


def mirror(points: Sequence[Point]) -> list[Point]:
    return [(2 * MID - x, y) for x, y in points]


def full_from_half(half: Sequence[Point]) -> list[Point]:
    """A midline tile from its right half (listed from the midline top, round, back to the midline)."""
    return list(half) + list(reversed(mirror(half)))


# --- The curves ------------------------------------------------------------------------------

HEAD_CY, HEAD_TOP, HEAD_BOTTOM = 34.0, 7.0, 62.0


def head_half_width(y: float) -> float:
    if y <= HEAD_CY:
        t = (y - HEAD_CY) / (HEAD_CY - HEAD_TOP)
        return 20.5 * math.sqrt(max(0.0, 1 - t * t))
    t = (y - HEAD_CY) / (HEAD_BOTTOM - HEAD_CY)
    return 20.5 * math.sqrt(max(0.0, 1 - t**2.2)) * (1 - 0.28 * t**1.6)


def head_right(y: float) -> float:
    return MID + head_half_width(y)


def head_bottom_at(x: float) -> float:
    """The y of the lower head outline at x (for the neck's top edge)."""
    dx = abs(x - MID)
    lo, hi = HEAD_CY, HEAD_BOTTOM
    for _ in range(40):
        mid = (lo + hi) / 2
        if head_half_width(mid) > dx:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


NECK = curve([(50, 111.8), (62, 111.6), (70, 112.2), (77, 113.4)])
NECK_BASE = 77.0
TORSO = curve(
    [(114, 137.4), (126, 137.6), (145, 134.6), (165, 130.0), (180, 130.0), (196, 133.6), (212, 137.8), (226, 139.6)]
)
ARM_OUT = curve([(110, 154.5), (125, 156.2), (140, 156.8), (160, 158.6), (172, 162.0), (200, 165.5), (229, 167.4)])
ARM_IN = curve([(114, 139.2), (130, 141.2), (150, 144.5), (160, 146.4), (175, 150.8), (205, 156.2), (229, 159.8)])
LEG_OUT = curve(
    [
        (226, 139.6),
        (248.8, 140.2),
        (272.8, 137.8),
        (302.8, 134.0),
        (322, 131.8),
        (341.2, 131.4),
        (360.4, 132.2),
        (382, 129.4),
        (401.2, 125.4),
        (417, 123.8),
    ]
)
LEG_IN = curve(
    [
        (239, 101.2),
        (269.2, 103.8),
        (302.8, 107.4),
        (322, 109.4),
        (341.2, 109.6),
        (358, 108.4),
        (382, 110.6),
        (401.2, 113.4),
        (417, 114.2),
    ]
)

SHOULDER_OUTLINE = [
    (113.4, 77.0),
    (118, 78.6),
    (124, 80.4),
    (131, 82.8),
    (138, 85.8),
    (144, 89.2),
    (149, 93.6),
    (152.4, 99),
    (154.0, 104.5),
    (154.5, 110.0),
]
# The shoulder's inner border runs from the armpit up along the collarbone to the neck.
SHOULDER_INNER = [(139.2, 114.0), (136.5, 107.0), (130, 99.5), (122, 92.0), (116, 85.0), (113.4, 77.0)]

CROTCH = (100.0, 238.0)
GROIN_CUT = [(139.6, 226.0), (128, 229.5), (115, 233.5), (104.5, 236.6), (101.2, 239.0)]
GLUTEAL_FOLD = [(101.2, 239.0), (104, 243.5), (111, 247.2), (121, 248.6), (131, 246.4), (137.6, 241.5), (140.2, 236.0)]

ELBOW, WRIST = 160.0, 229.0
KNEE_TOP, KNEE_BOTTOM, ANKLE = 318.0, 345.0, 417.0


# --- Tiles -------------------------------------------------------------------------------------


def band(left: Edge, right: Edge, y0: float, y1: float) -> list[Point]:
    """The area between two edges from y0 down to y1."""
    return along(right, y0, y1) + along(left, y1, y0)


def head_tiles_front() -> dict[str, list[Point]]:
    hr = head_right
    scalp = along(hr, HEAD_TOP, 16.0) + mirror(along(hr, 16.0, HEAD_TOP))
    forehead = along(hr, 16.0, 27.0) + mirror(along(hr, 27.0, 16.0))
    # The jaw is a crescent along the lower outline from the ear to the chin (masseter, mandible);
    # the face (cheeks, nose, lips) is everything between the forehead and the jaw.
    ear_y = 38.0
    jaw_inner = _smooth(
        [(hr(ear_y), ear_y), (MID + 15.6, 45.5), (MID + 10.4, 52.6), (MID + 4.2, 56.4), (MID, 57.2)], closed=False
    )
    jaw_half = [*along(hr, ear_y, HEAD_BOTTOM - 0.05)[:-1], (MID, HEAD_BOTTOM), *list(reversed(jaw_inner))[:-1]]
    face_half = [(MID, 27.0), *along(hr, 27.0, ear_y)[:-1], *jaw_inner]
    return {"scalp": scalp, "forehead": forehead, "face": face_half, "jaw": jaw_half}


def _bottom_from(x0: float, x1: float, step: float = 1.2) -> list[Point]:
    """Points along the lower head outline from x0 to x1 (right half)."""
    n = max(2, math.ceil(abs(x1 - x0) / step) + 1)
    return [(x, head_bottom_at(x)) for x in np.linspace(x0, x1, n)]


def _dedupe(points: Sequence[Point]) -> list[Point]:
    out: list[Point] = []
    for p in points:
        if not out or abs(out[-1][0] - p[0]) > 1e-6 or abs(out[-1][1] - p[1]) > 1e-6:
            out.append(p)
    return out


def eyelid() -> list[Point]:
    """An almond eye on the viewer's right."""
    cx, cy, rx = MID + 8.4, 32.0, 5.0
    top = [(cx + rx * math.cos(t), cy - 2.7 * math.sin(t)) for t in np.linspace(0, math.pi, 14)]
    bottom = [(cx + rx * math.cos(t), cy - 2.0 * math.sin(t)) for t in np.linspace(math.pi, 2 * math.pi, 14)][1:-1]
    return top + bottom


def neck_half(x_inner: float) -> list[Point]:
    """The neck from x_inner out to its right edge, under the head down to the neck base."""
    top_out = head_bottom_at(NECK(60) - 0.3)
    right = along(NECK, top_out, NECK_BASE)
    return [*_bottom_from(x_inner, right[0][0]), *right, (x_inner, NECK_BASE)]


def shoulder() -> list[Point]:
    outline = SHOULDER_OUTLINE
    return [*outline, *SHOULDER_INNER[:-1]]


STERNUM_TOP, STERNUM_BOTTOM = 5.0, 7.0  # half-widths of the breastbone strip
STERNUM_END = 132.0
PEC_SIDE_Y = 125.0


def pec_line() -> list[Point]:
    """The lower border of the chest muscle, from the breastbone out to the side of the torso."""
    return _smooth(
        [
            (MID + STERNUM_BOTTOM, STERNUM_END),
            (114, 135),
            (122, 135.2),
            (129.5, 132.2),
            (TORSO(PEC_SIDE_Y), PEC_SIDE_Y),
        ],
        closed=False,
    )


def upper_chest() -> list[Point]:
    inner = list(reversed(SHOULDER_INNER))  # neck -> armpit
    return [
        (MID + STERNUM_TOP, NECK_BASE),
        *inner,
        *along(TORSO, 114.0, PEC_SIDE_Y)[1:],
        *list(reversed(pec_line()))[1:],
    ]


def chest_centre() -> list[Point]:
    return [
        (MID - STERNUM_TOP, NECK_BASE),
        (MID + STERNUM_TOP, NECK_BASE),
        (MID + STERNUM_BOTTOM, STERNUM_END),
        (MID - STERNUM_BOTTOM, STERNUM_END),
    ]


def stomach() -> list[Point]:
    right = [*pec_line(), *along(TORSO, PEC_SIDE_Y, 168.0)[1:]]
    return [*right, *reversed(mirror(right))]


def torso_band(y0: float, y1: float) -> list[Point]:
    half = along(TORSO, y0, y1)
    return [(MID, y0), *half, (MID, y1)]


def arm_tiles() -> dict[str, list[Point]]:
    upper = [(154.5, 110.0), *along(ARM_OUT, 110.0, ELBOW)[1:], *along(ARM_IN, ELBOW, 114.0)]
    forearm = band(ARM_IN, ARM_OUT, ELBOW, WRIST)
    # A relaxed hand: palm widening a little, fingers together, thumb on the outside.
    w_in, w_out = ARM_IN(WRIST), ARM_OUT(WRIST)
    hand = [
        (w_out, WRIST),
        (w_out + 1.6, WRIST + 5),
        (w_out + 3.2, WRIST + 12),
        (w_out + 2.4, WRIST + 17),
        (w_out + 0.6, WRIST + 14.5),
        (w_out - 0.2, WRIST + 20),
        (w_out - 1.0, WRIST + 29),
        (w_out - 2.6, WRIST + 35),
        (w_out - 5.0, WRIST + 37.6),
        (w_in + 2.2, WRIST + 36.4),
        (w_in + 0.2, WRIST + 32),
        (w_in - 1.2, WRIST + 24),
        (w_in - 1.4, WRIST + 14),
        (w_in - 0.6, WRIST + 6),
        (w_in, WRIST),
    ]
    return {"upper_arm": upper, "forearm": forearm, "hand": _smooth(hand, closed=True)}


def leg_band(y0: float, y1: float) -> list[Point]:
    return band(LEG_IN, LEG_OUT, y0, y1)


def foot_front() -> list[Point]:
    """The foot seen from the front: instep widening to the toes, turned a little outwards."""
    a_in, a_out = LEG_IN(ANKLE), LEG_OUT(ANKLE)
    pts = [
        (a_out, ANKLE),
        (a_out + 1.6, ANKLE + 5),
        (a_out + 3.4, ANKLE + 11),
        (a_out + 4.2, ANKLE + 17),
        (a_out + 2.6, ANKLE + 21.5),
        (a_out - 2.5, ANKLE + 23.2),
        (a_in + 3.0, ANKLE + 23.0),
        (a_in - 1.6, ANKLE + 20.5),
        (a_in - 2.4, ANKLE + 14),
        (a_in - 1.0, ANKLE + 6),
        (a_in, ANKLE),
    ]
    return _smooth(pts, closed=True)


def foot_back() -> list[Point]:
    a_in, a_out = LEG_IN(ANKLE), LEG_OUT(ANKLE)
    pts = [
        (a_out, ANKLE),
        (a_out + 0.8, ANKLE + 6),
        (a_out + 0.4, ANKLE + 11),
        (a_out - 2.2, ANKLE + 15.5),
        ((a_in + a_out) / 2, ANKLE + 17.2),
        (a_in + 2.0, ANKLE + 15.5),
        (a_in - 0.6, ANKLE + 11),
        (a_in - 0.8, ANKLE + 6),
        (a_in, ANKLE),
    ]
    return _smooth(pts, closed=True)


def _smooth(points: Sequence[Point], *, closed: bool, per_segment: int = 5) -> list[Point]:
    """Catmull-Rom through the points, keeping the first and last points fixed (open ends)."""
    pts = list(points)
    out: list[Point] = []
    n = len(pts)
    segments = n - 1
    for i in range(segments):
        p0 = pts[max(i - 1, 0)]
        p1, p2 = pts[i], pts[i + 1]
        p3 = pts[min(i + 2, n - 1)]
        for k in range(per_segment):
            t = k / per_segment
            out.append(_catmull(p0, p1, p2, p3, t))
    out.append(pts[-1])
    return out


def _catmull(p0: Point, p1: Point, p2: Point, p3: Point, t: float) -> Point:
    t2, t3 = t * t, t * t * t
    return (
        0.5
        * (
            2 * p1[0]
            + (-p0[0] + p2[0]) * t
            + (2 * p0[0] - 5 * p1[0] + 4 * p2[0] - p3[0]) * t2
            + (-p0[0] + 3 * p1[0] - 3 * p2[0] + p3[0]) * t3
        ),
        0.5
        * (
            2 * p1[1]
            + (-p0[1] + p2[1]) * t
            + (2 * p0[1] - 5 * p1[1] + 4 * p2[1] - p3[1]) * t2
            + (-p0[1] + 3 * p1[1] - 3 * p2[1] + p3[1]) * t3
        ),
    )


def pelvis_front() -> list[Point]:
    return [(MID, 196.0), *along(TORSO, 196.0, 226.0), *GROIN_CUT[1:], CROTCH]


def thigh_front() -> list[Point]:
    return [*GROIN_CUT, *along(LEG_IN, 239.0, KNEE_TOP)[1:], *along(LEG_OUT, KNEE_TOP, 226.0)[:-1]]


def pelvis_back() -> list[Point]:
    return [
        (MID, 200.0),
        *along(TORSO, 200.0, 226.0),
        *along(LEG_OUT, 226.0, 236.0)[1:],
        *reversed(GLUTEAL_FOLD[:-1]),
        CROTCH,
    ]


def thigh_back() -> list[Point]:
    fold = GLUTEAL_FOLD
    return [*fold, *along(LEG_OUT, 236.0, KNEE_TOP)[1:], *along(LEG_IN, KNEE_TOP, 239.0)[:-1]]


def back_head() -> tuple[list[Point], list[Point]]:
    """The scalp (whole back of the head, above the skull base) and one suboccipital half."""
    base_y = 49.0
    half = along(head_right, HEAD_TOP, base_y)
    scalp = full_from_half([*half, (MID, base_y)][:-1])
    scalp = [(MID, HEAD_TOP), *scalp[1:]]
    x_edge = head_right(base_y)
    sub = [(MID, base_y), (x_edge, base_y), *along(head_right, base_y, 52.0)[1:]]
    sub = [*sub, *_bottom_from(sub[-1][0], MID)]
    return scalp, sub


def scapula() -> list[Point]:
    """The shoulder blade: a rounded triangle, spine of the scapula along the top, tip pointing down."""
    pts = [
        (112.0, 103.5),
        (124, 102.0),
        (131.5, 104.0),
        (132.5, 113),
        (128.0, 126),
        (121.5, 140.0),
        (117, 134),
        (113.0, 121),
        (111.0, 110),
    ]
    return _smooth([*pts, pts[0]], closed=True)[:-1]


def upper_back() -> list[Point]:
    return [(MID, NECK_BASE), *reversed(SHOULDER_INNER), *along(TORSO, 114.0, 165.0)[1:], (MID, 165.0)]


# --- Assembly ----------------------------------------------------------------------------------

Tile = tuple[str, str, list[Point]]  # region id, "mid" or "half" (viewer's right), points


def front_tiles() -> list[Tile]:
    head = head_tiles_front()
    arms = arm_tiles()
    return [
        ("scalp", "mid", head["scalp"]),
        ("forehead", "mid", head["forehead"]),
        ("face", "half", head["face"]),
        ("jaw", "half", head["jaw"]),
        ("eyelid", "half", eyelid()),
        ("throat", "mid", throat()),
        ("neck_side", "half", neck_half(MID + 4.6)),
        ("shoulder", "half", shoulder()),
        ("upper_chest", "half", upper_chest()),
        ("chest_centre", "mid", chest_centre()),
        ("stomach", "mid", stomach()),
        ("navel", "mid", full_band(168.0, 196.0)),
        ("pelvis", "half", pelvis_front()),
        ("upper_arm", "half", arms["upper_arm"]),
        ("forearm", "half", arms["forearm"]),
        ("hand", "half", arms["hand"]),
        ("thigh_front", "half", thigh_front()),
        ("knee", "half", leg_band(KNEE_TOP, KNEE_BOTTOM)),
        ("shin", "half", leg_band(KNEE_BOTTOM, ANKLE)),
        ("foot", "half", foot_front()),
    ]


def throat() -> list[Point]:
    x = MID + 4.6
    return [*_bottom_from(MID - 4.6, x), (x, NECK_BASE), (MID - 4.6, NECK_BASE)]


def full_band(y0: float, y1: float) -> list[Point]:
    right = along(TORSO, y0, y1)
    return [*right, *reversed(mirror(right))]


def back_tiles() -> list[Tile]:
    scalp, sub = back_head()
    arms = arm_tiles()
    return [
        ("scalp", "mid", scalp),
        ("suboccipitals", "half", sub),
        ("neck_back", "half", neck_half(MID)),
        ("shoulder", "half", shoulder()),
        ("upper_back", "half", upper_back()),
        ("shoulder_blade", "half", scapula()),
        ("lower_back", "half", torso_band(165.0, 200.0)),
        ("pelvis", "half", pelvis_back()),
        ("upper_arm", "half", arms["upper_arm"]),
        ("forearm", "half", arms["forearm"]),
        ("hand", "half", arms["hand"]),
        ("thigh_back", "half", thigh_back()),
        ("knee", "half", leg_band(KNEE_TOP, KNEE_BOTTOM)),
        ("calf", "half", leg_band(KNEE_BOTTOM, ANKLE)),
        ("foot", "half", foot_back()),
    ]


def path_d(points: Sequence[Point]) -> str:
    pts = _dedupe(points)
    head, *rest = pts
    return f"M{head[0]:.1f} {head[1]:.1f}" + "".join(f"L{x:.1f} {y:.1f}" for x, y in rest) + "Z"


# Quiet lines for the nose and mouth: drawn over the face, not clickable, hidden from screen readers.
FACE_LINES = ["M97.6 41.4Q100 42.9 102.4 41.4", "M96.3 48.6Q100 49.3 103.7 48.6"]


def build() -> dict[str, object]:
    views: dict[str, list[dict[str, str]]] = {}
    for view, tiles, viewer_right_side in (("front", front_tiles(), "left"), ("back", back_tiles(), "right")):
        viewer_left_side = "right" if viewer_right_side == "left" else "left"
        shapes: list[dict[str, str]] = []
        for region, kind, points in tiles:
            if kind == "mid":
                shapes.append({"region": region, "side": "centre", "d": path_d(points)})
            else:
                shapes.append({"region": region, "side": viewer_left_side, "d": path_d(mirror(points))})
                shapes.append({"region": region, "side": viewer_right_side, "d": path_d(points)})
        views[view] = shapes
    return {
        "about": "Body-map outlines drawn by tools/draw_shapes.py (regenerate with it; do not edit by hand). "
        "Front view: the person's left is on the viewer's right. Back view: the person's left is on the viewer's left.",
        "viewBox": " ".join(str(v) for v in VIEW_BOX),
        "views": views,
        "decor": {"front": FACE_LINES, "back": []},
    }


def main() -> None:
    OUT.write_text(json.dumps(build(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
