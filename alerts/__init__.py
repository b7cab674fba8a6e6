"""Alerting: route, render and deliver emails to the Managing Director."""
