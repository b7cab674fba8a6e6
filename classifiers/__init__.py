"""Classifier stage: decides what reaches the Managing Director. Runs locally, explains every flag."""
