"""The peer: /token and /protected the way the FastAPI OAuth2 tutorial
("OAuth2 with Password (and hashing), Bearer with JWT tokens") writes
them: OAuth2PasswordBearer, OAuth2PasswordRequestForm, passlib's
CryptContext, python-jose HS256.  Only the route of the protected
resource (/protected instead of /users/me) and the settings below
differ, so that bench/run can drive it like authgate.

Settings (environment):
  PEER_SECRET    HMAC key (bench/run passes authgate's, so one token
                 serves both)
  PEER_SCHEME    passlib scheme of the user's hash: bcrypt (the
                 tutorial's) or scrypt
  PEER_COST      bcrypt rounds, or scrypt ln (r=8, p=1)
  PEER_USER, PEER_PASSWORD, PEER_SCOPE   the one user
"""
import os
from datetime import datetime, timedelta
from typing import Union

from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from jose import JWTError, jwt
from passlib.context import CryptContext
from pydantic import BaseModel

SECRET_KEY = os.environ.get("PEER_SECRET", "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7")
ALGORITHM = "HS256"
ACCESS_TOKEN_EXPIRE_MINUTES = 15

_scheme = os.environ.get("PEER_SCHEME", "bcrypt")
_cost = int(os.environ.get("PEER_COST", "12"))
if _scheme == "scrypt":
    pwd_context = CryptContext(schemes=["scrypt"], deprecated="auto",
                               scrypt__rounds=_cost, scrypt__block_size=8,
                               scrypt__parallelism=1)
else:
    pwd_context = CryptContext(schemes=["bcrypt"], deprecated="auto",
                               bcrypt__rounds=_cost)

_user = os.environ.get("PEER_USER", "alice")
fake_users_db = {
    _user: {
        "username": _user,
        "scope": os.environ.get("PEER_SCOPE", "read"),
        "hashed_password": pwd_context.hash(
            os.environ.get("PEER_PASSWORD", "secret")),
        "disabled": False,
    }
}


class Token(BaseModel):
    access_token: str
    token_type: str


class TokenData(BaseModel):
    username: Union[str, None] = None
    scope: str = ""


class User(BaseModel):
    username: str
    scope: str = ""
    disabled: Union[bool, None] = None


class UserInDB(User):
    hashed_password: str


oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")

app = FastAPI()


def verify_password(plain_password, hashed_password):
    return pwd_context.verify(plain_password, hashed_password)


def get_user(db, username: str):
    if username in db:
        user_dict = db[username]
        return UserInDB(**user_dict)


def authenticate_user(fake_db, username: str, password: str):
    user = get_user(fake_db, username)
    if not user:
        return False
    if not verify_password(password, user.hashed_password):
        return False
    return user


def create_access_token(data: dict, expires_delta: Union[timedelta, None] = None):
    to_encode = data.copy()
    if expires_delta:
        expire = datetime.utcnow() + expires_delta
    else:
        expire = datetime.utcnow() + timedelta(minutes=15)
    to_encode.update({"exp": expire})
    encoded_jwt = jwt.encode(to_encode, SECRET_KEY, algorithm=ALGORITHM)
    return encoded_jwt


async def get_current_user(token: str = Depends(oauth2_scheme)):
    credentials_exception = HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": "Bearer"},
    )
    try:
        # authgate's tokens carry "aud" only when configured; jose
        # checks it only when asked.
        payload = jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM])
        username: str = payload.get("sub")
        if username is None:
            raise credentials_exception
        token_data = TokenData(username=username,
                               scope=payload.get("scope", ""))
    except JWTError:
        raise credentials_exception
    user = get_user(fake_users_db, username=token_data.username)
    if user is None:
        raise credentials_exception
    return user


async def get_current_active_user(current_user: User = Depends(get_current_user)):
    if current_user.disabled:
        raise HTTPException(status_code=400, detail="Inactive user")
    return current_user


@app.post("/token", response_model=Token)
async def login_for_access_token(form_data: OAuth2PasswordRequestForm = Depends()):
    user = authenticate_user(fake_users_db, form_data.username, form_data.password)
    if not user:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Incorrect username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    access_token_expires = timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES)
    access_token = create_access_token(
        data={"sub": user.username, "scope": user.scope},
        expires_delta=access_token_expires
    )
    return {"access_token": access_token, "token_type": "bearer"}


@app.get("/protected")
async def protected(current_user: User = Depends(get_current_active_user)):
    return {"message": "Hello, authenticated user!",
            "sub": current_user.username, "scope": current_user.scope}
