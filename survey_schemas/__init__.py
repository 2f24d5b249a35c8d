"""Survey definitions, answer validation and the issue taxonomy, shared by all of doorstep.

This package imports nothing from the rest of the project.
"""

from .answers import FieldErrors, check_value, is_answered, validate_answers
from .definition import SurveyError, content_hash, load_survey, load_survey_file
from .model import CHOICE_TYPES, METHODS, QUESTION_TYPES, Choice, Question, Survey
from .registry import (
    SurveyRegistry,
    UnknownSurvey,
    VersionConflict,
    bundled_dir,
    bundled_files,
    bundled_registry,
)
from .relevance import is_relevant
from .response import Response, ResponseSchema, check_response, new_response_id
from .taxonomy import Category, Taxonomy, TaxonomyError, default_taxonomy, load_taxonomy

__all__ = [
    "CHOICE_TYPES",
    "METHODS",
    "QUESTION_TYPES",
    "Category",
    "Choice",
    "FieldErrors",
    "Question",
    "Response",
    "ResponseSchema",
    "Survey",
    "SurveyError",
    "SurveyRegistry",
    "Taxonomy",
    "TaxonomyError",
    "UnknownSurvey",
    "VersionConflict",
    "bundled_dir",
    "bundled_files",
    "bundled_registry",
    "check_response",
    "check_value",
    "content_hash",
    "default_taxonomy",
    "is_answered",
    "is_relevant",
    "load_survey",
    "load_survey_file",
    "load_taxonomy",
    "new_response_id",
    "validate_answers",
]
