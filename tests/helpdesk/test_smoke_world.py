from helpdesk.selectors import acting_local_expert


def test_world_builds(world):
    assert acting_local_expert(world.office) == world.pat
