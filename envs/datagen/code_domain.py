"""Code domain: predict what a short DSL program prints, or fill the blank in one.

Programs are written in :mod:`~teachgym.envs.datagen.code_dsl`, which teachgym
interprets itself; answers are always computed by running the program, and
:meth:`CodeDomain.verify` re-runs any program an LM writes (under the step
limit) before it can become training data.
"""

from __future__ import annotations

import re

import numpy as np

from teachgym.envs.datagen.code_dsl import DSLError, run
from teachgym.envs.datagen.domain import Example, Skill, TextDomain

SKILLS = (
    Skill("arithmetic", "assignments and integer arithmetic",
          (("two_vars", "one variable computed from another"), ("precedence", "* before + and -"),
           ("div_mod", "floor division and remainder"))),
    Skill("conditionals", "if / else",
          (("if_else", "two branches"), ("if_no_else", "a branch that may change a variable"),
           ("nested", "an if inside an if"))),
    Skill("count_loop", "while loops that count",
          (("count_up", "count up to a bound"), ("count_down", "count down in steps"),
           ("count_steps", "how many iterations a loop makes"))),
    Skill("accumulate", "loops that accumulate",
          (("sum_range", "sum of 1..n"), ("product", "running product"), ("sum_evens", "sum of even numbers"))),
    Skill("variables", "state through assignments",
          (("swap", "swap through a temporary"), ("copy_then_change", "a copy keeps the old value"),
           ("reassign", "a variable updated several times"))),
    Skill("multi_print", "programs that print several values",
          (("print_two", "two prints"), ("print_loop", "a print inside a loop"))),
    Skill("max_min", "comparisons that pick a value",
          (("max_of_two", "the larger of two"), ("min_of_two", "the smaller of two"), ("abs_value", "absolute value"))),
    Skill("completion", "fill the blank '?' so the program prints the value after '=>'",
          (("missing_constant", "a missing number"), ("missing_operator", "a missing operator"))),
)
OPERATORS = ("+", "-", "*", "/", "%")
_COMPLETION = re.compile(r"(.+) => (-?\d+(?: -?\d+)*)")


def _ints(rng: np.random.Generator, low: int, high: int, n: int) -> list[int]:
    return [int(x) for x in rng.integers(low, high, size=n)]


def _program(skill: int, sub: int, level: int, rng: np.random.Generator) -> str:
    top = (10, 30, 100)[level]
    loop = (5, 8, 12)[level]
    a, b, c = _ints(rng, 1, top, 3)
    if skill == 0:
        return (f"a={a};b=a+{b};print b", f"a={a};print a+{b}*{c % 10 + 1}" if rng.random() < 0.5 else
                f"a={a};print a*{c % 10 + 1}-{b}", f"a={a + b};print a{'/' if rng.random() < 0.5 else '%'}{c % 9 + 2}")[sub]
    if skill == 1:
        op = str(rng.choice(["<", ">", "=="]))
        return (f"a={a};if a{op}{b}{{print 1}}else{{print 0}}", f"a={a};if a{op}{b}{{a=a+{c}}};print a",
                f"a={a};b={b};if a>b{{if a>{c}{{print a}}else{{print b}}}}else{{print 0}}")[sub]
    if skill == 2:
        start, n, k = int(rng.integers(0, 6)), int(rng.integers(2, loop)), int(rng.integers(1, 4))
        return (f"i={start};while i<{start + n * k - int(rng.integers(k))}{{i=i+{k}}};print i",
                f"i={start + n * k};while i>{start}{{i=i-{k}}};print i",
                f"i={start};c=0;while i<{start + n * k}{{i=i+{k};c=c+1}};print c")[sub]
    if skill == 3:
        n, start = int(rng.integers(2, loop)), int(rng.integers(0, 5))
        return (f"i={start};t=0;while i<{start + n}{{i=i+1;t=t+i}};print t",
                f"i=1;p={start + 1};while i<{min(n, 6)}{{i=i+1;p=p*i}};print p",
                f"i={start};t=0;while i<{start + 2 * n}{{i=i+1;if i%{2 + sub % 2 + int(rng.integers(2))}==0{{t=t+i}}}};print t")[sub]
    if skill == 4:
        return (f"a={a};b={b};t=a;a=b;b=t;print {'a' if rng.random() < 0.5 else 'b'}",
                f"a={a};b=a;a=a+{b};print b", f"a={a};a=a+{b};a=a-{c};print a")[sub]
    if skill == 5:
        n, start = int(rng.integers(2, min(loop, 5))), int(rng.integers(0, 4))
        return (f"a={a};print a;print a+{b}", f"i={start};while i<{start + n}{{i=i+1;print i*{a % 5 + 1}}}")[sub]
    if skill == 6:
        return (f"a={a};b={b};if a>b{{print a}}else{{print b}}", f"a={a};b={b};if a<b{{print a}}else{{print b}}",
                f"a={a - top // 2};if a<0{{a=-a}};print a")[sub]
    raise ValueError(f"unknown skill {skill}")


def _completion(sub: int, level: int, rng: np.random.Generator) -> tuple[str, str]:
    top = (10, 30, 100)[level]
    for _ in range(200):
        a, b = _ints(rng, 2, top, 2)
        if sub == 0:
            template = str(rng.choice([f"a=?;print a*{b % 9 + 2}", f"a=?;b=a+{b};print b", f"a={a};print a-?"]))
            answer = str(int(rng.integers(1, top)))
        else:
            template = str(rng.choice([f"a={a};print a?{b}", f"a={a};b=a?{b % 9 + 2};print b"]))
            answer = str(rng.choice(OPERATORS))
        output = run(template.replace("?", answer))
        if sub == 1 and sum(_safe_run(template.replace("?", op)) == output for op in OPERATORS) != 1:
            continue  # two operators give this output: ambiguous, draw again
        return f"{template} => {output}", answer
    raise RuntimeError("completion generator found no unambiguous program; this is a bug")


def _safe_run(source: str) -> str | None:
    try:
        return run(source, max_steps=1000)
    except DSLError:
        return None


class CodeDomain(TextDomain):
    """DataEnvGym's code domain, as output prediction and completion in a safe DSL (see module docstring).

    Args:
        max_steps: the interpreter's step limit when running programs.
    """

    name = "code"
    default_train_steps = 100  # programs are 2-3 times longer than math questions
    student_defaults = {"max_len": 80, "max_answer_len": 14, "reverse_answer": True}

    def __init__(self, max_steps: int = 1000):
        self.skills = SKILLS
        self.max_steps = int(max_steps)

    def config(self) -> tuple:
        return (self.max_steps,)

    def generate(self, skill: int, subskill: int, difficulty: int, rng: np.random.Generator) -> Example:
        if skill == 7:
            return Example(*_completion(subskill, difficulty, rng))
        source = _program(skill, subskill, difficulty, rng)
        return Example(source, run(source, self.max_steps))

    def verify(self, skill: int, example: Example) -> str | None:
        if not 0 <= skill < len(SKILLS):
            return f"unknown skill index {skill}"
        question, answer = example.question.strip(), example.answer.strip()
        try:
            if skill == 7:
                match = _COMPLETION.fullmatch(question)
                if match is None or match.group(1).count("?") != 1:
                    return "a completion question is '<program with one ?> => <output>'"
                source, expected = match.groups()
                if run(source.replace("?", answer), self.max_steps) != expected:
                    return f"filling the blank with {answer!r} does not print {expected!r}"
                if answer in OPERATORS and sum(_safe_run(source.replace("?", op)) == expected for op in OPERATORS) != 1:
                    return "more than one operator fills the blank: ambiguous"
                return None
            if "?" in question or "=>" in question:
                return "an output-prediction question is a complete program"
            output = run(question, self.max_steps)
        except DSLError as err:
            return f"program refused: {err}"
        return None if output == answer else f"answer {answer!r} is wrong (the program prints {output!r})"
