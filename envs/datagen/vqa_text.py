"""VQA scenes and questions as text, so that an LM engine can write them and the package check them.

An LM writes a scene spec and a question in the grammar its few-shot
demonstrations show::

    Scene: red square at top left; blue circle at centre
    Q: is the red square left of the blue circle
    A: yes

:func:`parse_scene` turns the spec into the scene tuple that
:func:`~teachgym.envs.datagen.vqa_domain.render` draws with numpy, and
:func:`answer_question` answers the question from the scene alone (it must be a
template of the requested skill, and pick out its objects unambiguously), so
nothing the LM claims is trusted: a wrong answer, an unknown word, two objects
in one cell or an ambiguous reference is dropped by the quality check.
"""

from __future__ import annotations

import re

from teachgym.envs.datagen.domain import Example

SHAPES = ("square", "circle", "triangle")
COLOURS = ("red", "green", "blue", "yellow")
POSITIONS = ("top left", "top middle", "top right", "middle left", "centre", "middle right",
             "bottom left", "bottom middle", "bottom right")
GRID = 3
MAX_OBJECTS = 7  # the generator's hardest level draws 5 to 7

_S, _C, _P = "|".join(SHAPES), "|".join(COLOURS), "|".join(POSITIONS)
_OBJECT = re.compile(rf"({_C}) ({_S}) at (?:the )?({_P})")
# Per skill, per subskill: the question's template (a regular expression over lower-case words).
TEMPLATES: tuple[tuple[re.Pattern, ...], ...] = tuple(tuple(re.compile(p) for p in row) for row in (
    ("how many objects are there", rf"how many ({_C}) objects are there", rf"how many ({_S})s are there"),
    (rf"what colour is the ({_S})", rf"what colour is the object at the ({_P})"),
    (rf"what shape is the ({_C}) object", rf"what shape is the object at the ({_P})"),
    (rf"is the ({_C}) ({_S}) left of the ({_C}) ({_S})", rf"is the ({_C}) ({_S}) above the ({_C}) ({_S})"),
    (rf"are there more ({_S})s than ({_S})s", rf"are there as many ({_C}) as ({_C}) objects"),
    (rf"is there a ({_C}) ({_S})", rf"is there a ({_C}) object"),
))

Scene = tuple[tuple[int, int, int, int], ...]


def scene_text(scene: Scene) -> str:
    """``scene`` in the spec grammar (``"red square at top left; blue circle at centre"``)."""
    return "; ".join(f"{COLOURS[c]} {SHAPES[s]} at {POSITIONS[r * GRID + col]}" for s, c, r, col in scene)


def parse_scene(text: str) -> Scene | str:
    """The scene a spec describes (objects in cell order, as the generator makes them), or why it is invalid."""
    parts = [p.strip() for p in text.strip().lower().split(";") if p.strip()]
    if not 1 <= len(parts) <= MAX_OBJECTS:
        return f"a scene has 1 to {MAX_OBJECTS} objects, got {len(parts)}"
    objects, cells = [], set()
    for part in parts:
        match = _OBJECT.fullmatch(part)
        if match is None:
            return f"object {part!r} is not '<colour> <shape> at <position>'"
        colour, shape, where = COLOURS.index(match[1]), SHAPES.index(match[2]), POSITIONS.index(match[3])
        if where in cells:
            return f"two objects at the {match[3]}"
        cells.add(where)
        objects.append((shape, colour, where // GRID, where % GRID))
    return tuple(sorted(objects, key=lambda o: (o[2], o[3])))


def format_example(example: Example) -> str:
    """A scene example as the three lines an LM is shown (and asked to continue after ``Scene:``)."""
    return f"Scene: {scene_text(example.scene)}\nQ: {example.question}\nA: {example.answer}"


def parse_example(text: str) -> Example | str:
    """The example in an LM's continuation of ``Scene:`` (three lines: spec, ``Q:``, ``A:``), or why not."""
    lines = text.strip("\n").split("\n")
    if len(lines) < 3 or not lines[1].startswith("Q:") or not lines[2].startswith("A:"):
        return "expected '<scene>', 'Q: <question>', 'A: <answer>' on three lines"
    scene = parse_scene(lines[0])
    if isinstance(scene, str):
        return scene
    question, answer = lines[1][2:].strip().lower(), lines[2][2:].strip().lower()
    if not question or not answer:
        return "empty question or answer"
    return Example(question, answer, scene)


def answer_question(skill: int, question: str, scene: Scene) -> tuple[int, str] | str:
    """``(subskill, answer)`` of a question of ``skill`` about ``scene``, or why it cannot be answered.

    The rules are the generator's: an object named by its shape or colour (or by
    colour and shape, for relations) must be the only such object, an object named
    by position must be there, and a relation needs its objects in different
    columns (left of) or rows (above).
    """
    for subskill, template in enumerate(TEMPLATES[skill]):
        match = template.fullmatch(question)
        if match is not None:
            break
    else:
        return f"question {question!r} is not a template of this skill"
    words = match.groups()
    shapes, colours = [o[0] for o in scene], [o[1] for o in scene]
    at = {r * GRID + c: o for o in scene for r, c in [(o[2], o[3])]}
    if skill == 0:
        if subskill == 0:
            return 0, str(len(scene))
        return subskill, str(colours.count(COLOURS.index(words[0])) if subskill == 1 else
                             shapes.count(SHAPES.index(words[0])))
    if skill in (1, 2):
        if subskill == 1:
            obj = at.get(POSITIONS.index(words[0]))
            if obj is None:
                return f"no object at the {words[0]}"
        else:
            key, index = (0, SHAPES.index(words[0])) if skill == 1 else (1, COLOURS.index(words[0]))
            matches = [o for o in scene if o[key] == index]
            if len(matches) != 1:
                return f"the scene has {len(matches)} {words[0]} objects; the question needs exactly one"
            obj = matches[0]
        return subskill, COLOURS[obj[1]] if skill == 1 else SHAPES[obj[0]]
    if skill == 3:
        named = []
        for colour, shape in (words[:2], words[2:]):
            matches = [o for o in scene if o[:2] == (SHAPES.index(shape), COLOURS.index(colour))]
            if len(matches) != 1:
                return f"the scene has {len(matches)} {colour} {shape}s; the question needs exactly one"
            named.append(matches[0])
        (a, b), axis = named, 3 if subskill == 0 else 2
        if a is b or a[axis] == b[axis]:
            return "the two objects share a column (left of) or row (above): no answer"
        return subskill, "yes" if a[axis] < b[axis] else "no"
    if skill == 4:
        if words[0] == words[1]:
            return "a comparison needs two different shapes or colours"
        if subskill == 0:
            return 0, "yes" if shapes.count(SHAPES.index(words[0])) > shapes.count(SHAPES.index(words[1])) else "no"
        return 1, "yes" if colours.count(COLOURS.index(words[0])) == colours.count(COLOURS.index(words[1])) else "no"
    if subskill == 0:
        return 0, "yes" if (SHAPES.index(words[1]), COLOURS.index(words[0])) in {o[:2] for o in scene} else "no"
    return 1, "yes" if COLOURS.index(words[0]) in colours else "no"
