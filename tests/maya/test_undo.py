"""Every command is one undo step; a failure or a cancel leaves the scene as it was."""
from __future__ import annotations

import pytest
from test_generate import bound_head

from microexpr.errors import MicroExprError


def test_one_undo_step_per_command(make_head, small_face, scene_state):
    from maya import cmds

    import microexpr_maya as mm

    head = make_head(small_face)
    empty = scene_state()
    mm.bind_key_points(head, vertices=small_face.landmark_vertices.tolist())
    bound = scene_state()
    mm.generate_blendshapes(head)
    generated = scene_state()
    cmds.undo()
    assert scene_state() == bound
    cmds.undo()
    assert scene_state() == empty
    cmds.redo()
    cmds.redo()
    assert scene_state() == generated


def test_failure_midway_restores_the_scene(make_head, small_face, scene_state, monkeypatch):
    import microexpr_maya as mm
    import microexpr_maya.generate as generate

    head = bound_head(make_head, small_face)
    before = scene_state()
    real = generate.softmod_deltas
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 6:
            raise ValueError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(generate, "softmod_deltas", flaky)
    with pytest.raises(MicroExprError, match="disk on fire.*restored") as info:
        mm.generate_blendshapes(head)
    assert isinstance(info.value.__cause__, ValueError)
    assert scene_state() == before


def test_bind_failure_midway_restores_the_scene(make_head, small_face, scene_state,
                                                monkeypatch):
    import microexpr_maya as mm
    import microexpr_maya.bind as bind

    head = bound_head(make_head, small_face)  # a previous binding must survive too
    before = scene_state()
    real = bind._key_point
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("Maya said no")
        return real(*args, **kwargs)

    monkeypatch.setattr(bind, "_key_point", flaky)
    with pytest.raises(MicroExprError, match="Maya said no"):
        mm.bind_key_points(head, vertices=small_face.landmark_vertices.tolist())
    assert scene_state() == before


def test_failure_with_undo_switched_off_still_restores(make_head, small_face, scene_state,
                                                      monkeypatch):
    from maya import cmds

    import microexpr_maya as mm
    import microexpr_maya.generate as generate

    head = bound_head(make_head, small_face)
    cmds.undoInfo(stateWithoutFlush=False)
    before = scene_state()
    monkeypatch.setattr(generate, "softmod_deltas",
                        lambda *a, **k: (_ for _ in ()).throw(KeyError("boom")))
    try:
        with pytest.raises(MicroExprError):
            mm.generate_blendshapes(head)
        assert scene_state() == before
        assert not cmds.undoInfo(query=True, state=True)
    finally:
        cmds.undoInfo(stateWithoutFlush=True)


def test_cancel_restores_the_scene(standin, make_head, small_face, scene_state):
    import microexpr_maya as mm

    head = bound_head(make_head, small_face)
    standin.batch = False                    # an interactive session shows the bar
    standin.progress["cancel_after"] = 5     # the user presses Esc after 5 steps
    before = scene_state()
    with pytest.raises(mm.Cancelled, match="cancelled"):
        mm.generate_blendshapes(head)
    assert scene_state() == before
    assert not standin.progress["active"]
    assert standin.progress["history"][-1][0] == "end"
    standin.progress["cancel_after"] = None
    mm.generate_blendshapes(head)           # without Esc it runs to the end
    assert standin.progress["steps"] == 21


def test_no_progress_bar_in_batch_mode(standin, make_head, small_face):
    import microexpr_maya as mm

    head = bound_head(make_head, small_face)
    mm.generate_blendshapes(head)
    assert standin.progress["history"] == []


@pytest.fixture
def short_finite_queue(maya_scene):
    """A finite undo queue of 4 entries (Maya's undoInfo(infinity=False, length=4))."""
    cmds = maya_scene
    old = (cmds.undoInfo(query=True, infinity=True), cmds.undoInfo(query=True, length=True))
    cmds.undoInfo(state=True, infinity=False, length=4)
    yield 4
    cmds.undoInfo(infinity=old[0], length=old[1])


def _fill(cmds, node: str, steps: int) -> None:
    for i in range(steps):
        cmds.setAttr(node + ".translateX", float(i + 1))


def test_failure_with_a_full_finite_queue_restores_the_scene(
        short_finite_queue, make_head, small_face, scene_state, monkeypatch):
    """A full queue does not grow when the chunk is recorded; the rollback still runs and
    does not undo the user's own last step."""
    from maya import cmds

    import microexpr_maya as mm
    import microexpr_maya.generate as generate

    head = bound_head(make_head, small_face)
    _fill(cmds, head, short_finite_queue + 2)
    assert cmds.undoInfo(query=True) == short_finite_queue  # full: the oldest were dropped
    before = scene_state()
    real = generate.softmod_deltas
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise ValueError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(generate, "softmod_deltas", flaky)
    with pytest.raises(MicroExprError, match="disk on fire.*restored"):
        mm.generate_blendshapes(head)
    assert scene_state() == before
    assert cmds.undoInfo(query=True) == short_finite_queue - 1  # our chunk was undone
    cmds.undo()  # the user's last step is still there, and still the next to undo
    assert cmds.getAttr(head + ".translateX") == float(short_finite_queue + 1)


def test_failure_before_anything_was_recorded_undoes_nothing(
        short_finite_queue, make_head, small_face, monkeypatch):
    """Nothing recorded, queue full: the top entry is the user's, so no undo runs."""
    from maya import cmds

    import microexpr_maya as mm
    import microexpr_maya.bind as bind

    head = bound_head(make_head, small_face)
    _fill(cmds, head, short_finite_queue + 1)
    monkeypatch.setattr(bind, "_remove_previous", lambda *a: (_ for _ in ()).throw(
        RuntimeError("refused")))
    with pytest.raises(MicroExprError, match="refused"):
        mm.bind_key_points(head, vertices=small_face.landmark_vertices.tolist())
    assert cmds.getAttr(head + ".translateX") == float(short_finite_queue + 1)
    assert cmds.undoInfo(query=True) == short_finite_queue
