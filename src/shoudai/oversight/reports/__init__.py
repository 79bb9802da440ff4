"""First-loan reports (T2): the 首贷发放明细 file, its row checks, and applying it to the loan register."""
