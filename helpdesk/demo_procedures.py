def seed_demo_procedures() -> int:
    return 0
