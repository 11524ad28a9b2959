"""A batched tabular Q-learner on a family of parameterised gridworld mazes.

One fixed maze (walls ``#``, lava ``L``, goal ``G``, free cells ``.``) and one
shared Q-table over ``(cell, action)``: what the student learns on one task
transfers to every task that passes through the same cells. A task is a vector
in ``[0, 1]^3``:

==================  ==========================================================
task[0]             ``start_distance``: the episode starts on a free cell whose
                    shortest-path distance to the goal is
                    ``round(1 + task[0] * (D - 1))`` (``D``: the maze's largest
                    distance; 0 = next to the goal, 1 = the farthest cells)
task[1]             ``slip``: with probability ``task[1] * max_slip`` the chosen
                    action is replaced by a uniformly random one
task[2]             ``time_pressure``: the step limit falls linearly from
                    ``horizon[0] * D`` (0) to ``horizon[1] * D`` (1)
==================  ==========================================================

Reaching the goal gives reward 1 and ends the episode; stepping on lava ends it
with reward 0. The student sees the move it actually made and learns from that
move (Q-learning is off-policy), so a slip acts as an exploratory move: training
on high slip wastes budget but does not corrupt the Q-table.

The default maze (9 x 19, ``D = 56``) has a goal room (distances 1-3) whose only
exit is a corridor with lava on both sides (distances 4-5), so:

- trivial: starts in the goal room;
- learnable with a curriculum: far starts with little slip. Zero-initialised
  Q-learning is a random walk until it meets cells whose values already lead to
  the goal; a random walk from far away rarely crosses the lava corridor in
  time, so training only on far starts learns nothing, while values learned
  from nearer starts make farther starts reachable (the reverse-curriculum
  effect of Florensa et al., 2017);
- unlearnable: far starts under high slip (the lava corridor and the step
  limit defeat even the best policy) or under a step limit shorter than the
  distance. :meth:`TabularQStudent.optimal_success` gives the best success any
  policy reaches on a task.

Training runs the ``budget`` episodes of a lesson in parallel, vectorised over
episodes with numpy. Evaluation is exact: the success probability of the greedy
policy (ties split evenly) is computed by dynamic programming over the known
maze, so scores carry no rollout noise.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from typing import Any

import numpy as np

from teachgym.student import LearnReport, Student
from teachgym.students.populations import Interleaved
from teachgym.validation import ConfigError, check_float, check_int

TASK_NAMES = ("start_distance", "slip", "time_pressure")

#: the Q-learner population: step size and exploration rate in disjoint interleaved bands
#: (:mod:`teachgym.students.populations`); the maze, slip and step limits stay the env's
Q_LEARNING_RATE = Interleaved(0.1, 0.9, bands=4, log=True)
Q_EPSILON = Interleaved(0.02, 0.3, bands=4)

# A goal room (top left, distances 1-3) whose only exit is the lava-lined corridor on row 2.
DEFAULT_MAZE = (
    "G.#................",
    "..LL####.#######.#.",
    ".......#.#.#.....#.",
    "#LLL.#.#.#.#.#.###.",
    "...#...#...#.....#.",
    ".#.#.#####.#####.##",
    ".#.#.....#.#...#...",
    ".#.#####.###.#.#.#.",
    ".............#.....",
)

_MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))  # up, right, down, left
_N_ACTIONS = len(_MOVES)


class TabularQStudent(Student):
    """Epsilon-greedy one-step Q-learning with one Q-table shared by all tasks (see module docstring).

    Args:
        maze: rows of equal length over ``.#LG`` with exactly one ``G``; every
            free cell must reach the goal without crossing lava.
        max_slip: slip probability at ``task[1] = 1``.
        horizon: step limits at ``time_pressure`` 0 and 1, as multiples of the
            maze's largest start distance.
        epsilon: exploration rate while learning.
        learning_rate: Q-learning step size.
        discount: discount factor.
    """

    def __init__(self, maze: Sequence[str] = DEFAULT_MAZE, max_slip: float = 0.6,
                 horizon: Sequence[float] = (2.0, 0.5), epsilon: float = 0.1,
                 learning_rate: float = 0.5, discount: float = 0.95):
        self.max_slip = check_float("max_slip", max_slip, low=0.0, high=1.0)
        if isinstance(horizon, (str, bytes)) or not hasattr(horizon, "__len__") or len(horizon) != 2:
            raise ConfigError(f"horizon must be two step-limit factors (time_pressure 0 and 1), got {horizon!r}")
        self.horizon = (check_float("horizon[0]", horizon[0], low=0.0, low_open=True, high=100.0),
                        check_float("horizon[1]", horizon[1], low=0.0, low_open=True, high=100.0))
        self.epsilon = check_float("epsilon", epsilon, low=0.0, high=1.0)
        self.learning_rate = check_float("learning_rate", learning_rate, low=0.0, high=1.0, low_open=True)
        self.discount = check_float("discount", discount, low=0.0, high=1.0)
        if isinstance(maze, str):
            raise ConfigError("maze must be a sequence of row strings, not one string")
        self._build_maze(tuple(maze))
        self._settings = {"learning_rate": self.learning_rate, "epsilon": self.epsilon}
        self._rng = np.random.default_rng(0)
        self._q = np.zeros((self.n_states, _N_ACTIONS))

    # -- the maze ----------------------------------------------------------------
    def _build_maze(self, maze: tuple[str, ...]) -> None:
        if not maze or any(not isinstance(row, str) for row in maze) or len({len(r) for r in maze}) != 1:
            raise ConfigError("maze must be a non-empty sequence of strings of equal length")
        if any(ch not in ".#LG" for row in maze for ch in row):
            raise ConfigError("maze may only contain '.', '#', 'L' and 'G'")
        if sum(row.count("G") for row in maze) != 1:
            raise ConfigError("maze must contain exactly one goal 'G'")
        self.maze = maze
        cells = [(r, c) for r, row in enumerate(maze) for c, ch in enumerate(row) if ch != "#"]
        index = {cell: i for i, cell in enumerate(cells)}
        kind = np.array([maze[r][c] for r, c in cells])
        self.n_states = len(cells)
        self.goal = int(np.flatnonzero(kind == "G")[0])
        # Walls and the border block a move: the student stays where it is.
        moves = np.array([[index.get((r + dr, c + dc), i) for dr, dc in _MOVES] for i, (r, c) in enumerate(cells)])
        # Goal and lava are absorbing, which keeps the dynamic programme in _success() exact.
        self._terminal = kind != "."
        self._next = np.where(self._terminal[:, None], np.arange(self.n_states)[:, None], moves).astype(np.intp)
        self._reward = (kind == "G").astype(np.float64)
        self._transition_index = (np.arange(self.n_states)[:, None] * self.n_states + self._next).ravel()
        self._random_move_matrix = self._transition_matrix(np.full(self._next.shape, 1.0 / _N_ACTIONS))
        # Start distances: shortest paths that do not cross lava.
        distance = np.full(self.n_states, -1)
        distance[self.goal] = 0
        queue = collections.deque([self.goal])
        while queue:
            i = queue.popleft()
            for j in moves[i]:
                if kind[j] == "." and distance[j] < 0:
                    distance[j] = distance[i] + 1
                    queue.append(j)
        unreachable = [cells[i] for i in range(self.n_states) if kind[i] == "." and distance[i] < 0]
        if unreachable:
            raise ConfigError(f"maze: free cells {unreachable[:5]} cannot reach the goal without crossing lava")
        if distance.max() < 1:
            raise ConfigError("maze must have at least one free cell '.'")
        self.distance = distance
        self.max_distance = int(distance.max())
        self._starts_at = [np.flatnonzero(distance == d) for d in range(self.max_distance + 1)]
        at_distance = distance[None, :] == np.arange(self.max_distance + 1)[:, None]
        self._start_weights = at_distance / np.maximum(1, at_distance.sum(axis=1, keepdims=True))

    # -- task parameters -> dynamics -------------------------------------------------
    def _tasks(self, tasks) -> np.ndarray:
        tasks = np.atleast_2d(np.asarray(tasks, dtype=np.float64))
        if tasks.ndim != 2 or tasks.shape[1] != len(TASK_NAMES):
            raise ConfigError(f"tasks must be vectors of length {len(TASK_NAMES)} {TASK_NAMES}, got shape {tasks.shape}")
        if not np.all((tasks >= 0.0) & (tasks <= 1.0)):  # also rejects NaN
            raise ConfigError(f"task values must be in [0, 1] {TASK_NAMES}, got {tasks.tolist()}")
        return tasks

    def start_distance(self, tasks) -> np.ndarray:
        """Shortest-path distance (in cells) of the start cells of each task."""
        return np.rint(1 + self._tasks(tasks)[:, 0] * (self.max_distance - 1)).astype(np.intp)

    def slip_probability(self, tasks) -> np.ndarray:
        """Probability that each task replaces the chosen move by a random one."""
        return self._tasks(tasks)[:, 1] * self.max_slip

    def step_limit(self, tasks) -> np.ndarray:
        """The episode step limit of each task (at least 1)."""
        long, short = self.horizon
        factor = long + self._tasks(tasks)[:, 2] * (short - long)
        return np.maximum(1, np.rint(factor * self.max_distance)).astype(np.intp)

    # -- Student API -------------------------------------------------------------------
    def reset(self, rng: np.random.Generator, params: dict[str, float] | None = None) -> None:
        """A fresh (all-zero) Q-table drawing its randomness from ``rng``; ``params`` (``learning_rate``,
        ``epsilon``, from :func:`draw_q_student`) replace the constructor's values for this student."""
        for name, value in {**self._settings, **(params or {})}.items():
            if name not in self._settings:
                raise ConfigError(f"params may set {sorted(self._settings)}, got {name!r}")
            setattr(self, name, check_float(name, value, low=0.0, high=1.0))
        self._rng = rng
        self._q = np.zeros((self.n_states, _N_ACTIONS))

    def learn(self, lesson, budget: int = 1) -> LearnReport:
        """Run ``budget`` epsilon-greedy Q-learning episodes of task ``lesson`` in parallel.

        Returns:
            ``outcome``: the fraction of those episodes that reached the goal;
            ``work``: env steps used (also ``extras["env_steps"]``).
        """
        budget = check_int("budget", budget, low=1)
        task = self._tasks(lesson)
        if task.shape[0] != 1:
            raise ConfigError(f"learn() takes one task, got {task.shape[0]}")
        rng, q, next_state = self._rng, self._q, self._next
        starts = self.start_cells(int(self.start_distance(task)[0]))
        slip = float(self.slip_probability(task)[0])
        limit = int(self.step_limit(task)[0])
        alpha, gamma = self.learning_rate, self.discount
        # The student sees the move it actually made and learns from it, so a
        # slip acts like an exploratory move (off-policy), not as learned risk.
        random_move = 1.0 - (1.0 - self.epsilon) * (1.0 - slip)
        state = starts[rng.integers(starts.size, size=budget)]
        successes = 0
        env_steps = 0
        for _ in range(limit):
            n = state.size
            env_steps += n
            # One draw per step: 4 tie-breakers, a random-move coin, a random move.
            new_state, ended = q_learning_step(q, 0, state, rng.random((n, UNIFORMS_PER_STEP)), random_move,
                                               next_state, self._terminal, self._reward, alpha, gamma)
            successes += int(np.count_nonzero(new_state == self.goal))
            state = new_state[~ended]
            if state.size == 0:
                break
        return LearnReport(outcome=successes / budget, work=env_steps,
                           extras={"env_steps": env_steps, "successes": successes, "episodes": budget})

    def evaluate(self, probes) -> np.ndarray:
        """Exact success probability of the greedy policy on each probe task (rows of ``probes``).

        The start cell is drawn uniformly among the task's start cells, ties
        between greedy actions are split evenly, and success means reaching the
        goal within the task's step limit.
        """
        return self.greedy_success(self._q, probes)

    def greedy_success(self, q: np.ndarray, probes) -> np.ndarray:
        """:meth:`evaluate` for the Q-table ``q`` (``(n_states, 4)``) instead of this student's own."""
        greedy = q == q.max(axis=1, keepdims=True)
        return self._success(probes, greedy / greedy.sum(axis=1, keepdims=True))

    def optimal_success(self, tasks) -> np.ndarray:
        """The best success probability any policy reaches on each task (finite-horizon DP)."""
        return self._success(tasks, None)

    def _success(self, tasks, policy: np.ndarray | None) -> np.ndarray:
        tasks = self._tasks(tasks)
        start = self._start_weights[self.start_distance(tasks)]
        # Tasks differing only in start distance share one value function: solve each
        # (slip, step limit) pair once, then weight its values by the tasks' start cells.
        pairs, column = np.unique(np.stack([self.slip_probability(tasks), self.step_limit(tasks)], axis=1),
                                  axis=0, return_inverse=True)
        slip, limit = pairs[:, 0], pairs[:, 1].astype(np.intp)
        if policy is None:
            return self._optimal_success(start, column.reshape(-1), slip, limit)
        # One batched matrix-vector product per step, with M[j] the transition matrix of pair j.
        follow = self._transition_matrix(policy)
        matrices = (1.0 - slip)[:, None, None] * follow + slip[:, None, None] * self._random_move_matrix
        value = np.zeros((len(pairs), self.n_states, 1))  # P(goal within k steps)
        value[:, self.goal] = 1.0
        final = np.empty((len(pairs), self.n_states))
        finishing = {int(k): np.flatnonzero(limit == k) for k in np.unique(limit)}
        for k in range(1, int(limit.max()) + 1):
            value = matrices @ value
            if k in finishing:
                final[finishing[k]] = value[finishing[k], :, 0]
        return np.einsum("ts,ts->t", start, final[column.reshape(-1)])

    def _transition_matrix(self, policy: np.ndarray) -> np.ndarray:
        """``M[s, s']``: probability that ``policy`` (states x actions) moves from s to s'."""
        n = self.n_states
        return np.bincount(self._transition_index, weights=policy.ravel(), minlength=n * n).reshape(n, n)

    def _optimal_success(self, start, column, slip, limit) -> np.ndarray:
        value = np.zeros((self.n_states, len(slip)))
        value[self.goal] = 1.0
        final = np.empty_like(value)
        for k in range(1, int(limit.max()) + 1):
            after = value[self._next]  # (states, actions, pairs)
            value = (1.0 - slip) * after.max(axis=1) + slip * after.mean(axis=1)
            final[:, limit == k] = value[:, limit == k]
        return np.einsum("ts,st->t", start, final[:, column])

    def start_cells(self, distance: int) -> np.ndarray:
        """The free cells at shortest-path ``distance`` from the goal (the start cells of a task)."""
        return self._starts_at[distance]

    def q_table(self) -> np.ndarray:
        """A copy of the Q-table, shape ``(n_states, 4)``.

        States are the maze's non-wall cells in row-major order; actions are
        up, right, down, left.
        """
        return self._q.copy()

    def state_dict(self) -> dict[str, Any]:
        return {"q": self._q.copy(), "rng": self._rng.bit_generator.state,
                "learning_rate": self.learning_rate, "epsilon": self.epsilon}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        q = np.asarray(state["q"], dtype=np.float64)
        if q.shape != self._q.shape:
            raise ConfigError(f"state['q'] must have shape {self._q.shape}, got {q.shape}")
        self._q = q.copy()
        self._rng.bit_generator.state = state["rng"]
        self.learning_rate = float(state.get("learning_rate", self.learning_rate))
        self.epsilon = float(state.get("epsilon", self.epsilon))


UNIFORMS_PER_STEP = 6  # per episode and step: 4 tie-breakers, a random-move coin, a random move


def q_learning_step(q: np.ndarray, rows, state: np.ndarray, u: np.ndarray, random_move, moves: np.ndarray,
                    terminal: np.ndarray, reward: np.ndarray, alpha, gamma) -> tuple[np.ndarray, np.ndarray]:
    """One epsilon-greedy Q-learning step of many episodes, updating ``q`` in place.

    The one step both :class:`TabularQStudent` (one Q-table) and the batched student
    (one table per student, stacked) take, so both learn identically.

    Args:
        q: ``(rows, 4)`` Q-values; episode ``j`` reads and writes rows ``rows[j] + cell``.
        rows: each episode's first row in ``q`` (0 for a single table), scalar or ``(n,)``.
        state: ``(n,)`` each episode's cell.
        u: ``(n, 6)`` uniforms (:data:`UNIFORMS_PER_STEP`): 4 tie-breakers, a random-move coin, a random move.
        random_move: probability that the move is random (exploration or slip), scalar or ``(n,)``.
        moves: ``(cells, 4)`` the cell each action leads to.
        terminal: ``(cells,)`` goal or lava.
        reward: ``(cells,)`` reward for entering each cell.
        alpha, gamma: step size and discount, scalars or ``(n,)``.

    Returns:
        ``(new_state, ended)``: each episode's next cell and whether it ended there.
    """
    here = rows + state
    values = q[here]
    ties = values == values.max(axis=1, keepdims=True)
    action = np.argmax(ties * u[:, :4], axis=1)  # uniform among the greedy actions
    action = np.where(u[:, 4] < random_move, (u[:, 5] * _N_ACTIONS).astype(np.intp), action)
    new_state = moves[state, action]
    ended = terminal[new_state]
    # Time-limit cut-offs still bootstrap: the step limit is not part of the state.
    target = reward[new_state] + gamma * np.where(ended, 0.0, q[rows + new_state].max(axis=1))
    q[here, action] += alpha * (target - q[here, action])
    return new_state, ended


def draw_q_student(rng: np.random.Generator, part: str) -> dict[str, float]:
    """Parameters of one Q-learner of the ``part`` population (``learning_rate``, ``epsilon``)."""
    return {"learning_rate": Q_LEARNING_RATE.draw(rng, part), "epsilon": Q_EPSILON.draw(rng, part)}
