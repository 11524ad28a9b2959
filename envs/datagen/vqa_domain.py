"""VQA domain: small rendered scenes of coloured shapes and templated questions about them.

A scene is up to seven objects on a 3 x 3 grid, each ``(shape, colour, row, col)``;
:func:`render` draws it with numpy into a ``size x size`` RGB image (no
graphics library). Questions come from templates, so every answer is computed
from the scene: counting, colour and shape queries, spatial relations, count
comparisons and existence. An LM engine writes scenes as text specs
(:mod:`~teachgym.envs.datagen.vqa_text`), which are parsed, rendered and
answered here, never trusted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from teachgym.envs.datagen import vqa_text
from teachgym.envs.datagen.domain import Datum, Domain, Example, Skill
from teachgym.envs.datagen.vqa_text import COLOURS, GRID, POSITIONS, SHAPES
from teachgym.validation import ConfigError

RGB = np.array([[230, 40, 40], [40, 200, 60], [50, 80, 240], [240, 220, 40]], dtype=np.uint8)

SKILLS = (
    Skill("count", "how many objects (of a colour / shape)",
          (("count_all", "all objects"), ("count_colour", "objects of one colour"), ("count_shape", "objects of one shape"))),
    Skill("colour", "the colour of an object",
          (("colour_of_shape", "named by its (unique) shape"), ("colour_at_position", "named by its grid position"))),
    Skill("shape", "the shape of an object",
          (("shape_of_colour", "named by its (unique) colour"), ("shape_at_position", "named by its grid position"))),
    Skill("spatial", "where two objects are relative to each other",
          (("left_right", "is A left of B"), ("above_below", "is A above B"))),
    Skill("compare", "comparing counts",
          (("more_shapes", "more of one shape than another"), ("same_colour_count", "as many of two colours"))),
    Skill("exists", "whether such an object is in the scene",
          (("colour_shape", "a colour and shape"), ("colour_only", "a colour"))),
)
ANSWERS = tuple(str(i) for i in range(10)) + COLOURS + SHAPES + ("yes", "no")


def render(scene: Sequence[Sequence[int]], size: int = 32) -> np.ndarray:
    """The scene as a ``(size, size, 3)`` uint8 image: each object fills most of its grid cell."""
    image = np.zeros((size, size, 3), dtype=np.uint8)
    cell = size // GRID
    pad = max(1, cell // 8)
    inner = cell - 2 * pad
    ys, xs = np.mgrid[0:inner, 0:inner]
    centre = (inner - 1) / 2
    masks = (np.ones((inner, inner), dtype=bool),
             (ys - centre) ** 2 + (xs - centre) ** 2 <= (inner / 2) ** 2,
             np.abs(xs - centre) <= ys / 2 + 0.5)  # apex up, base at the bottom
    for shape, colour, row, col in scene:
        top, left = row * cell + pad, col * cell + pad
        image[top: top + inner, left: left + inner][masks[shape]] = RGB[colour]
    return image


def _scene(rng: np.random.Generator, n: int) -> tuple[tuple[int, int, int, int], ...]:
    cells = rng.choice(GRID * GRID, size=n, replace=False)
    return tuple((int(rng.integers(3)), int(rng.integers(4)), int(c) // GRID, int(c) % GRID) for c in sorted(cells))


def _name(obj) -> str:
    return f"{COLOURS[obj[1]]} {SHAPES[obj[0]]}"


def _question(skill: int, sub: int, scene, rng: np.random.Generator) -> tuple[str, str] | None:
    """A question about ``scene`` and its answer, or None if the scene cannot carry this subskill."""
    shapes, colours = [o[0] for o in scene], [o[1] for o in scene]
    if skill == 0:
        if sub == 0:
            return "how many objects are there", str(len(scene))
        if sub == 1:
            c = int(rng.integers(4))
            return f"how many {COLOURS[c]} objects are there", str(colours.count(c))
        s = int(rng.integers(3))
        return f"how many {SHAPES[s]}s are there", str(shapes.count(s))
    if skill in (1, 2):
        obj = scene[int(rng.integers(len(scene)))]
        if sub == 1:
            where = POSITIONS[obj[2] * GRID + obj[3]]
            return ((f"what colour is the object at the {where}", COLOURS[obj[1]]) if skill == 1 else
                    (f"what shape is the object at the {where}", SHAPES[obj[0]]))
        if skill == 1:
            return None if shapes.count(obj[0]) != 1 else (f"what colour is the {SHAPES[obj[0]]}", COLOURS[obj[1]])
        return None if colours.count(obj[1]) != 1 else (f"what shape is the {COLOURS[obj[1]]} object", SHAPES[obj[0]])
    if skill == 3:
        if len(scene) < 2:
            return None
        i, j = (int(x) for x in rng.choice(len(scene), size=2, replace=False))
        a, b = scene[i], scene[j]
        if sum(_name(o) == _name(a) for o in scene) > 1 or sum(_name(o) == _name(b) for o in scene) > 1:
            return None  # the names must pick out one object each
        if sub == 0:
            return None if a[3] == b[3] else (f"is the {_name(a)} left of the {_name(b)}", "yes" if a[3] < b[3] else "no")
        return None if a[2] == b[2] else (f"is the {_name(a)} above the {_name(b)}", "yes" if a[2] < b[2] else "no")
    if skill == 4:
        if sub == 0:
            s, t = (int(x) for x in rng.choice(3, size=2, replace=False))
            return f"are there more {SHAPES[s]}s than {SHAPES[t]}s", "yes" if shapes.count(s) > shapes.count(t) else "no"
        c, d = (int(x) for x in rng.choice(4, size=2, replace=False))
        same = colours.count(c) == colours.count(d)
        return f"are there as many {COLOURS[c]} as {COLOURS[d]} objects", "yes" if same else "no"
    if sub == 0:
        s, c = int(rng.integers(3)), int(rng.integers(4))
        return f"is there a {COLOURS[c]} {SHAPES[s]}", "yes" if (s, c) in {(o[0], o[1]) for o in scene} else "no"
    c = int(rng.integers(4))
    return f"is there a {COLOURS[c]} object", "yes" if c in colours else "no"


def question_vocabulary() -> tuple[str, ...]:
    """Every word a question can use (the student's fixed vocabulary)."""
    words = {"how", "many", "objects", "object", "are", "there", "what", "colour", "shape", "is", "the", "at",
             "left", "of", "above", "more", "than", "as", "a"}
    words |= set(COLOURS) | set(SHAPES) | {f"{s}s" for s in SHAPES}
    for position in POSITIONS:
        words |= set(position.split())
    return tuple(sorted(words))


class VQADomain(Domain):
    """DataEnvGym's VQA domain on synthetic scenes (see module docstring).

    Args:
        image_size: rendered image side in pixels.
    """

    name = "vqa"
    text_only = False
    example_prefix = "Scene:"
    default_train_steps = 300  # a CNN step on 24 x 24 images costs a third of a math step

    def __init__(self, image_size: int = 24):
        self.skills = SKILLS
        self.image_size = int(image_size)

    def config(self) -> tuple:
        return (self.image_size,)

    def generate(self, skill: int, subskill: int, difficulty: int, rng: np.random.Generator) -> Example:
        low, high = ((2, 3), (3, 5), (5, 7))[difficulty]
        for _ in range(500):
            scene = _scene(rng, int(rng.integers(low, high + 1)))
            qa = _question(skill, subskill, scene, rng)
            if qa is not None:
                return Example(qa[0], qa[1], scene)
        raise RuntimeError(f"no scene fits skill {skill} subskill {subskill}; this is a bug")

    @staticmethod
    def _answer(skill: int, example: Example) -> tuple[int, str] | str:
        """``(subskill, answer)`` of the example's question from its scene, or why there is none."""
        if not 0 <= skill < len(SKILLS):
            return f"unknown skill index {skill}"
        if example.scene is None:
            return "a VQA example needs a scene"
        scene = vqa_text.parse_scene(vqa_text.scene_text(example.scene))  # the scene must be one the grammar allows
        return scene if isinstance(scene, str) else vqa_text.answer_question(skill, example.question, scene)

    def verify(self, skill: int, example: Example) -> str | None:
        """None if the question is a template of ``skill`` whose answer from the scene is ``example.answer``."""
        answered = self._answer(skill, example)
        if isinstance(answered, str):
            return answered
        if answered[1] != example.answer:
            return f"answer {example.answer!r} is wrong (the scene gives {answered[1]!r})"
        return None

    def subskill_of(self, skill: int, example: Example) -> int | None:
        """The subskill whose template the question follows (None if it follows none)."""
        answered = self._answer(skill, example)
        return None if isinstance(answered, str) else answered[0]

    def format_example(self, example: Example) -> str:
        return vqa_text.format_example(example)

    def parse_example(self, text: str) -> Example | str:
        return vqa_text.parse_example(text)

    def make_student(self, kind: str = "default", avoid: frozenset[str] = frozenset(), **kwargs: Any):
        if kind != "default":
            raise ConfigError(f"the VQA student reads images: student must be 'default', got {kind!r} "
                              "(student='lm' is for the math and code domains)")
        from teachgym.students.datagen.vqa_net import VQANetStudent

        return VQANetStudent(**{"question_vocab": question_vocabulary(), "answer_vocab": ANSWERS,
                                "image_size": self.image_size, **kwargs})

    def lesson(self, data: Sequence[Datum]) -> list:
        return [(render(d.example.scene, self.image_size), d.question, d.answer) for d in data]

    def predict(self, student, data: Sequence[Datum]) -> list[str]:
        return student.predict([(render(d.example.scene, self.image_size), d.question) for d in data])
