"""Untrusted files: teacher zips that carry code, damaged cached weights, hostile names in reports."""

from __future__ import annotations

import base64
import csv
import io
import json
import pickle
import warnings
import zipfile
from html.parser import HTMLParser

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

import teachgym  # noqa: E402
from teachgym.training import safe_policy  # noqa: E402
from teachgym.training.safe_policy import UnsafeLoadWarning, UntrustedFileError  # noqa: E402

ENV_ID = "teachgym/ToyCurriculumDiscrete-v0"
ENV_KWARGS = {"n_steps": 30}


def _flashcards_id() -> str:
    from teachgym.envs import env_ids

    return next(env_id for env_id in env_ids() if "Flashcards-EFC" in env_id)


class _Payload:
    """Pickles to ``exec(<write the marker file>)``: what unpickling a hostile zip would run."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('payload ran')",)


def _ppo(env_id: str = ENV_ID, **env_kwargs):
    from stable_baselines3 import PPO

    return PPO("MlpPolicy", gym.make(env_id, **{**ENV_KWARGS, **env_kwargs}), n_steps=16, batch_size=16, n_epochs=1,
               seed=0, device="cpu")


def _add_payload(clean: Path, evil: Path, marker: Path) -> Path:
    """``clean`` (a real SB3 zip) with one more pickled entry in its ``data``, as SB3 writes its own objects."""
    with zipfile.ZipFile(clean) as source, zipfile.ZipFile(evil, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "data":
                data = json.loads(content)
                data["notes"] = {":type:": "<class 'str'>",
                                 ":serialized:": base64.b64encode(pickle.dumps(_Payload(marker))).decode()}
                content = json.dumps(data).encode()
            target.writestr(item, content)
    return evil


@pytest.fixture
def evil_zip(tmp_path):
    """``(evil zip, marker)``: a normal PPO zip for ENV_ID plus a payload that writes ``marker`` when unpickled."""
    model = _ppo()
    model.save(tmp_path / "clean.zip")
    marker = tmp_path / "marker"
    return _add_payload(tmp_path / "clean.zip", tmp_path / "evil.zip", marker), marker


def test_the_crafted_zip_runs_its_payload_when_trusted_and_the_trust_option_warns(evil_zip):
    path, marker = evil_zip
    with pytest.warns(UnsafeLoadWarning, match="only for files you produced yourself"):
        teacher = teachgym.make_teacher("sb3-policy", path=str(path), trust_pickle=True)
    assert marker.read_text() == "payload ran"  # the payload is live: the refusals below are what stops it
    result = teachgym.run(ENV_ID, teacher, seed=0, **ENV_KWARGS)
    assert result.steps == ENV_KWARGS["n_steps"]


def test_sb3_policy_refuses_a_zip_from_the_python_api_and_the_cli(evil_zip, capsys):
    from teachgym.cli import main

    path, marker = evil_zip
    with pytest.raises(UntrustedFileError, match="trust_pickle=True") as info:
        teachgym.make_teacher("sb3-policy", path=str(path))
    assert "can run any code" in str(info.value) and "convert" in str(info.value)
    with pytest.raises(teachgym.ConfigError, match="trust_pickle must be"):
        teachgym.make_teacher("sb3-policy", path=str(path), trust_pickle="yes")
    assert main(["run", "--env", ENV_ID, "--env-kwarg", "n_steps=30", "--teacher", "sb3-policy",
                 "--teacher-kwarg", f"path={path}", "--no-progress"]) == 2
    assert "Stable-Baselines3 zip" in capsys.readouterr().err
    assert not marker.exists()


def test_leaderboard_run_refuses_a_zip_teacher(evil_zip, tmp_path):
    from teachgym.cli import main

    path, marker = evil_zip
    suite = tmp_path / "suite.toml"
    suite.write_text(f'[suites.one]\nseeds = 1\n[[suites.one.envs]]\nid = "{ENV_ID}"\nkwargs = {{n_steps = 30}}\n')
    code = main(["leaderboard", "run", "--suite", "one", "--suite-file", str(suite), "--teachers", str(path),
                 "--db", str(tmp_path / "lb.sqlite"), "--jobs", "1", "--strict", "--no-progress"])
    assert code != 0 and not marker.exists()


def test_ppo_tutor_and_the_safe_loader_refuse_a_zip(evil_zip):
    from teachgym.teachers.tutoring.ppo_tutor import PPOTutor

    path, marker = evil_zip
    with pytest.raises(UntrustedFileError, match="trust_pickle=True"):
        teachgym.run(ENV_ID, PPOTutor(str(path)), seed=0, **ENV_KWARGS)
    with pytest.raises(UntrustedFileError):
        safe_policy.load_teacher(path)
    with pytest.raises(UntrustedFileError):
        safe_policy.load_teacher_model(path, env=None)
    assert safe_policy.main(["convert", str(path)]) == 2  # converting needs --trust-pickle too
    assert not marker.exists()


def test_train_rl_tutor_refuses_a_zip_as_init_model(evil_zip, tmp_path):
    from scripts.train_rl_tutor import main

    path, marker = evil_zip
    with pytest.raises(SystemExit, match="--trust-pickle"):
        main(["--env", _flashcards_id(), "--init-model", str(path), "--out", str(tmp_path / "out"),
              "--total-timesteps", "10", "--n-envs", "1"])
    assert not marker.exists()


def test_deeprl_student_refuses_pickled_model_bytes_in_a_checkpoint(evil_zip):
    from teachgym.envs.deeprl.mountain_car_task import MountainCarTask
    from teachgym.students.deeprl.sb3_agent import SB3Student

    path, marker = evil_zip
    student = SB3Student(MountainCarTask, algo="ppo", n_envs=1, device="cpu",
                         algo_kwargs={"n_steps": 16, "batch_size": 16, "n_epochs": 1})
    student.reset(np.random.default_rng(0))
    state = student.state_dict()
    assert not any(isinstance(v, bytes) for v in state.values())  # tensors, arrays and numbers only
    with pytest.raises(teachgym.ConfigError, match="SB3 zip bytes are refused"):
        student.load_state_dict({**state, "model": path.read_bytes()})
    assert not marker.exists()


def test_teacher_file_round_trip_acts_like_the_model_and_names_only_allowed_classes(tmp_path):
    model = _ppo()
    model.learn(32)
    path = safe_policy.save_teacher(model, tmp_path / "teacher.safetensors")
    assert not zipfile.is_zipfile(path)
    config = safe_policy.read_teacher_file(path)[0]
    assert config["algo"] == "ppo" and config["policy_class"].endswith("ActorCriticPolicy")
    teacher = teachgym.make_teacher("sb3-policy", path=str(path))
    env = gym.make(ENV_ID, **ENV_KWARGS)
    obs, info = env.reset(seed=0)
    teacher.reset(env.action_space, env.observation_space, seed=0)
    for step in range(10):
        assert teacher.act(obs, info) == int(model.predict(obs, deterministic=True)[0])
        obs, *_, info = env.step(step % env.action_space.n)
    # Continued training starts from the same weights and optimizer state.
    again = safe_policy.load_teacher_model(path, gym.make(ENV_ID, **ENV_KWARGS))
    assert again.num_timesteps == model.num_timesteps and again.n_steps == 16
    saved, loaded = model.policy.optimizer.state_dict(), again.policy.optimizer.state_dict()
    assert all(np.array_equal(saved["state"][i]["exp_avg"], loaded["state"][i]["exp_avg"]) for i in saved["state"])


@pytest.mark.parametrize("field, value", [("policy_class", "builtins.exec"),
                                          ("policy_kwargs", {"activation_fn": {"class": "os.system"}})])
def test_a_teacher_file_naming_a_class_off_the_allow_list_is_refused(tmp_path, field, value):
    from safetensors.torch import save_file

    path = safe_policy.save_teacher(_ppo(), tmp_path / "teacher.safetensors")
    config, tensors = safe_policy.read_teacher_file(path)
    config[field] = value
    save_file(tensors, tmp_path / "edited.safetensors",
              metadata={"format": safe_policy.FORMAT, "version": str(safe_policy.VERSION), "config": json.dumps(config)})
    with pytest.raises(teachgym.ConfigError, match="not on the allow-list"):
        safe_policy.load_teacher(tmp_path / "edited.safetensors")


def test_convert_writes_a_teacher_file_from_your_own_zip(tmp_path):
    model = _ppo()
    model.save(tmp_path / "mine.zip")
    with pytest.warns(UnsafeLoadWarning):
        out = safe_policy.convert_sb3_zip(tmp_path / "mine.zip", trust_pickle=True)
    assert out == tmp_path / "mine.safetensors"
    loaded = safe_policy.load_teacher(out)
    obs = np.stack([model.observation_space.sample() for _ in range(8)])
    np.testing.assert_array_equal(loaded.predict(obs, deterministic=True)[0], model.predict(obs, deterministic=True)[0])


def test_train_rl_tutor_continues_from_its_teacher_file(tmp_path):
    from scripts.train_rl_tutor import main

    args = ["--env", _flashcards_id(), "--total-timesteps", "200", "--n-envs", "2", "--eval-episodes", "1",
            "--n-steps", "50", "--batch-size", "100", "--policy", "mlp", "--reward-baseline", "none"]
    assert main(args + ["--out", str(tmp_path / "first")]) == 0
    first = next((tmp_path / "first").glob("*.safetensors"))
    assert first.with_suffix(".zip").is_file()
    assert main(args + ["--out", str(tmp_path / "second"), "--init-model", str(first)]) == 0
    second = next((tmp_path / "second").glob("*.safetensors"))
    assert safe_policy.read_teacher_file(second)[0]["num_timesteps"] == 400


# -- cached weights -------------------------------------------------------------------------------
def test_damaged_cached_base_weights_are_detected_and_rebuilt(tmp_path):
    import torch

    from teachgym.students.datagen.char_transformer import CharTransformerStudent
    from teachgym.utils.verified_files import CacheWarning, digest_path

    pairs = [(f"{a}+{b}", str(a + b)) for a in range(1, 10) for b in range(1, 10)]
    small = {"d_model": 16, "n_layers": 1, "max_len": 16, "max_answer_len": 4, "batch_size": 8,
             "base_problems": pairs, "base_steps": 20, "cache_dir": tmp_path}

    def base_weights():
        student = CharTransformerStudent(**small)
        student.reset(np.random.default_rng(0))
        return student.base_path, [v.clone() for v in student.model.state_dict().values()]

    path, built = base_weights()
    assert digest_path(path).is_file()
    state = torch.load(path, weights_only=True)
    torch.save({k: torch.zeros_like(v) for k, v in state.items()}, path)  # every weight zeroed
    with pytest.warns(CacheWarning, match=f"{path.name}.*SHA-256"):
        again, weights = base_weights()
    assert again == path and all(torch.equal(a, b) for a, b in zip(built, weights))
    path.write_bytes(path.read_bytes()[:100])  # truncated
    with pytest.warns(CacheWarning, match=path.name):
        _, weights = base_weights()
    assert all(torch.equal(a, b) for a, b in zip(built, weights))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)  # a good cache loads without a warning
        base_weights()


def test_damaged_cached_tiny_lm_is_detected_and_rebuilt(tmp_path):
    pytest.importorskip("transformers")
    from safetensors.numpy import load_file, save_file

    from teachgym.students.grpo import tiny
    from teachgym.utils.verified_files import CacheWarning, sha256_file

    config = tiny.TinyLMConfig(hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, max_positions=16,
                               warmup_steps=3, warmup_batch_size=4)
    problems = [(f"{a}+1=", str(a + 1)) for a in range(8)]
    path = tiny.build_tiny_model(config, "0123456789+=", problems, tmp_path)
    weights = path / "model.safetensors"
    digest = sha256_file(weights)
    save_file({k: np.zeros_like(v) for k, v in load_file(weights).items()}, weights, metadata={"format": "pt"})
    with pytest.warns(CacheWarning, match=f"{path.name}.*model.safetensors"):
        assert tiny.build_tiny_model(config, "0123456789+=", problems, tmp_path) == path
    assert sha256_file(weights) == digest  # the same build again
    weights.write_bytes(weights.read_bytes()[:64])
    with pytest.warns(CacheWarning, match=path.name):
        tiny.build_tiny_model(config, "0123456789+=", problems, tmp_path)
    assert sha256_file(weights) == digest
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging or stale copies left


# -- reports -----------------------------------------------------------------------------------------
HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"click\")", "[x](javascript:alert(1))", "@SUM(A1)",
           "<img src=x onerror=alert(1)>", "-1+2", "a|b\n| injected | row |", "![i](http://evil.example/i.png)"]


def _stats():
    from teachgym.leaderboard.rankings import compute

    rng = np.random.default_rng(0)
    teachers = {name: rng.uniform(0, 10, 4) for name in [*HOSTILE, "random"]}
    return compute({"teachgym/Toy-v0": teachers, "+env`|[y](javascript:z)": teachers}, {})


def test_csv_cells_never_start_a_formula():
    from teachgym.leaderboard.report import to_csv

    rows = list(csv.reader(io.StringIO(to_csv(_stats()))))
    names = [cell for row in rows[1:] for cell in row[:2]]
    assert {name.lstrip("'") for name in names} == {*HOSTILE, "random", "teachgym/Toy-v0", "+env`|[y](javascript:z)"}
    assert not [cell for cell in names if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    float(rows[1][3])  # numbers stay numbers


def test_markdown_renders_no_link_image_or_tag():
    markdown_it = pytest.importorskip("markdown_it")
    from teachgym.leaderboard.report import to_markdown

    text = to_markdown(_stats(), [])
    renderer = markdown_it.MarkdownIt("commonmark").enable("table")
    renderer.validateLink = lambda url: True  # judge the Markdown, not this renderer's own javascript: filter
    rendered = renderer.render(text)
    tags, shown = _parse(rendered)
    assert {tag for tag, _ in tags} <= {"table", "thead", "tbody", "tr", "th", "td", "code", "p"}  # no a, img, script
    assert not [attrs for _, attrs in tags if attrs]
    assert [tag for tag, _ in tags].count("tr") == 1 + 1 + len(HOSTILE)  # header + one row per teacher: none injected
    assert "[x](javascript:alert(1))" in shown and "<img src=x onerror=alert(1)>" in shown  # shown as text


def _parse(html: str) -> tuple[list[tuple[str, list]], str]:
    """The start tags (with attributes) and the text of an HTML fragment."""
    tags: list[tuple[str, list]] = []
    parts: list[str] = []
    parser = HTMLParser()
    parser.handle_starttag = lambda tag, attrs: tags.append((tag, attrs))
    parser.handle_data = parts.append
    parser.feed(html)
    return tags, "".join(parts)


def test_safe_policy_show_prints_the_config_of_a_teacher_file(tmp_path, capsys):
    path = safe_policy.save_teacher(_ppo(), tmp_path / "teacher.safetensors")
    assert safe_policy.main(["show", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["algo"] == "ppo"
    assert safe_policy.main(["show", str(tmp_path / "missing.safetensors")]) == 2
