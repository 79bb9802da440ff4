"""Loan code (新享贷款码), needs, identity, routing and the 211 workflow (Q1–Q7).

Flow for an edge (page, API, CLI), one transaction per step, committed by the edge:
  channels.get_channel → service.submit_need (idempotent; merges within 30 days)
  → identity.issue_otp (SMS via the outbox) → service.verify_and_push (level recorded; tracks + clocks + messages)
  → actions.* (bank: answer/decline/mark_conditions_met/accept/decide/disburse; business: claim_conditions_met,
    withdraw, withdraw_consent, rate, complain, reroute) → sweep.run_sweep (breaches, escalation, due-soon).
sla.py is the pure state machine; tracks.py maps it onto need_bank rows; notify.py builds the outbox messages;
delivery.py gives the outbox worker its senders. RateLimited and failed verifications are returned/raised after
their counters were written: edges commit in those cases too, so brute force cannot roll its attempts back.
"""
