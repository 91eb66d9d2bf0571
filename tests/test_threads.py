"""The kept worker threads."""

import multiprocessing

from vkls.threads import worker_threads


def _answer_from_the_kept_threads():
    return worker_threads("rules").submit(lambda: 2 + 2).result(timeout=30)


def test_the_threads_are_kept_per_name_and_made_again_in_a_forked_child():
    """A child forked from a process that ran rules must not wait on its parent's threads."""
    pool = worker_threads("rules")
    assert worker_threads("rules") is pool and worker_threads("grid") is not pool
    assert pool.submit(lambda: 1 + 1).result() == 2
    with multiprocessing.get_context("fork").Pool(1) as child:
        assert child.apply(_answer_from_the_kept_threads) == 4
