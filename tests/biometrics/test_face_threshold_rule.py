"""The threshold rule of the card protocol: set by the worst group, and a group too
small to count its false matches judged by its fitted impostor distribution."""

from __future__ import annotations

import numpy as np

from idcapture.biometrics.face.evaluation import (
    choose_threshold,
    evaluate_card_protocol,
    modelled_group_fmr,
)


def _people(n: int, spread: float, seed: int) -> list[np.ndarray]:
    """Two photos' descriptors per person: a person's centre and a small offset."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        c = rng.normal(0, spread, 16)
        out += [c + rng.normal(0, 0.05, 16), c + rng.normal(0, 0.05, 16)]
    return out


def _evaluation():  # type: ignore[no-untyped-def]
    # 30 people far apart (group "a") and 3 people close together (group "b", 24
    # impostor pairs among them)
    a = _people(30, 0.25, 1)
    b = _people(3, 0.13, 2)
    ids = [f"a{i // 2}" for i in range(60)] + [f"b{i // 2}" for i in range(6)]
    groups = {i: {"g": i[0]} for i in ids}
    return evaluate_card_protocol(a + b, a + b, ids, 0.5, groups=groups)


def test_small_group_is_judged_by_its_distribution() -> None:
    ev = _evaluation()
    counted = choose_threshold(ev, 0.01, modelled=False)
    modelled = choose_threshold(ev, 0.01)
    assert modelled < counted
    b = ev.group_masks[("g", "b")][1]
    assert ev.distances[b].size == 24
    # group b's 24 pairs are too few for the counted rule (100 or more), which follows
    # the average and leaves b with many false matches; its fitted distribution sees it
    assert float(np.mean(ev.distances[b] < counted)) > 0.1
    assert float(np.mean(ev.distances[b] < modelled)) == 0.0
    assert modelled_group_fmr(ev, counted)[("g", "b")] > 0.01
    assert modelled_group_fmr(ev, modelled)[("g", "b")] <= 0.01
    assert max(modelled_group_fmr(ev, modelled + 0.005).values()) > 0.01


def test_group_of_one_person_is_not_modelled() -> None:
    ev = _evaluation()
    ev.group_masks[("g", "solo")] = (ev.genuine_mask, ev.impostor_mask, 1)
    assert ("g", "solo") not in modelled_group_fmr(ev, 0.5)


def test_two_fold_swap_runs_the_rule_on_each_half_and_reads_the_other() -> None:
    from idcapture.biometrics.face.evaluation import part_of, swap_halves

    rng = np.random.default_rng(3)
    ids = [f"p{i}" for i in range(24) for _ in range(2)]
    centres = {i: rng.normal(0, 0.25, 16) for i in set(ids)}
    desc = [centres[i] + rng.normal(0, 0.05, 16) for i in ids]
    groups = {i: {"g": "x" if int(i[1:]) % 3 else "y"} for i in ids}
    res = swap_halves(desc, desc, ids, 0.01, groups=groups)
    assert [(r.chosen_on, r.reported_on) for r in res] == [("dev", "held-out"),
                                                           ("held-out", "dev")]
    for r in res:
        on = [k for k, i in enumerate(ids) if part_of(i) == r.chosen_on]
        off = [k for k, i in enumerate(ids) if part_of(i) == r.reported_on]

        def ev(idx: list[int]):  # type: ignore[no-untyped-def]
            return evaluate_card_protocol([desc[k] for k in idx], [desc[k] for k in idx],
                                          [ids[k] for k in idx], 0.0, groups=groups)
        assert r.threshold == choose_threshold(ev(on), 0.01)
        assert (r.fnmr, r.fmr) == ev(off).rates_at(r.threshold)
        assert r.genuine == len(off) and r.worst_group is not None
    # the halves disagree somewhat: the two thresholds are not forced equal
    assert all(0.0 < r.threshold < 2.0 for r in res)
