"""`jixiao review`: a static report a person opens from disk in a browser, every value beside where it was printed."""
from jixiao.review.load import NoOutput
from jixiao.review.report import NotAReviewFolder, ReviewSummary, write_review

__all__ = ["NoOutput", "NotAReviewFolder", "ReviewSummary", "write_review"]
