"""FineTuneRL: how to spend an online budget given offline data (Wagenmaker & Pacchiano, ICML 2023)."""
